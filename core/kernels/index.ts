/**
 * gradnet's own compute kernels, written in AssemblyScript (`*.as` here), compiled on first use on
 * each machine and cached (never committed as binaries): the CNN's training step as WebAssembly
 * SIMD, which core/ml uses when tfjs runs on its wasm backend.
 */
export { KernelError } from './errors.ts';
export { type CnnShape, CnnKernel, cnnKernelServes } from './cnn.ts';
