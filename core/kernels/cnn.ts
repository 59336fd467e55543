import { kernelModule } from './compile.ts';
import { KernelError } from './errors.ts';

/** The CNN hyper-parameters the kernels take (core/ml's CnnSpec without its name). */
export interface CnnShape {
  readonly kernelSize: number;
  readonly filters: readonly [number, number];
  /** The input image; absent means 28×28×1, the only one the kernels are written for. */
  readonly input?: { readonly height: number; readonly width: number; readonly channels: number };
}

/** tf.train.adam's defaults (ε is tfjs's float32 epsilon). */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;
const IMAGE_PIXELS = 784;
/** 64 KiB WebAssembly pages. */
const PAGE = 65536;

interface CnnExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  scratchFloats(k: number, f1: number, f2: number): number;
  parameterCount(k: number, f1: number, f2: number): number;
  gradient(batch: number, k: number, f1: number, f2: number, params: number, grads: number, pixels: number, labels: number, scratch: number): number;
  adam(n: number, params: number, grads: number, m: number, v: number, learningRate: number, beta1: number, beta2: number, epsilon: number, accBeta1: number, accBeta2: number): void;
}

/**
 * Whether the kernels serve a CNN shape: they vectorise four output channels at a time, so both
 * filter counts must be multiples of 4 (the default 8 and 16 are), and their loops are unrolled
 * for 28×28×1 images (MNIST, Fashion-MNIST); other shapes (CIFAR-10's 32×32×3) train through tfjs.
 */
export function cnnKernelServes(shape: CnnShape): boolean {
  const mnistInput = shape.input === undefined || (shape.input.height === 28 && shape.input.width === 28 && shape.input.channels === 1);
  return mnistInput && shape.filters.every((count) => count % 4 === 0) && Math.floor((Math.floor((29 - shape.kernelSize) / 2) - shape.kernelSize + 1) / 2) >= 1;
}

/**
 * The CNN's training step in gradnet's own WebAssembly SIMD (core/kernels/cnn.as): gradient and
 * Adam in one call each, on buffers that live in the module's memory. Fill `pixels` and `labels`
 * (the first `rows` examples), call `gradient(rows)`, then `adamStep` (or read `grads`, combine it
 * with other workers' and write the sum back before `adamStep`). One instance per thread.
 */
export class CnnKernel {
  /** f32 [batch][784], values in [0, 1]. */
  readonly pixels: Float32Array;
  /** i32 [batch], classes 0..9. */
  readonly labels: Int32Array;
  /** The parameters, in core/ml's layout order. */
  readonly params: Float32Array;
  /** The last gradient (of the mean loss), same layout; adamStep applies what it holds. */
  readonly grads: Float32Array;
  readonly batch: number;
  private readonly exports: CnnExports;
  private readonly shape: CnnShape;
  private readonly address: { params: number; grads: number; m: number; v: number; pixels: number; labels: number; scratch: number };
  private readonly moments: Float32Array;
  private accBeta1 = Math.fround(BETA1);
  private accBeta2 = Math.fround(BETA2);

  private constructor(instance: WebAssembly.Instance, shape: CnnShape, batch: number) {
    this.exports = instance.exports as unknown as CnnExports;
    this.shape = shape;
    this.batch = batch;
    const [f1, f2] = shape.filters;
    const k = shape.kernelSize;
    const n = this.exports.parameterCount(k, f1, f2);
    // Every buffer starts on a 16-byte boundary.
    const floats = (count: number): number => Math.ceil(count / 4) * 16;
    let next = this.exports.heapBase();
    const take = (bytes: number): number => {
      const at = next;
      next += bytes;
      return at;
    };
    this.address = {
      params: take(floats(n)),
      grads: take(floats(n)),
      m: take(floats(n)),
      v: take(floats(n)),
      // 4 floats of slack: the first conv's backward pass reads whole vectors past a patch's last pixel.
      pixels: take(floats(batch * IMAGE_PIXELS + 4)),
      labels: take(floats(batch)),
      scratch: take(floats(this.exports.scratchFloats(k, f1, f2))),
    };
    const memory = this.exports.memory;
    if (next > memory.buffer.byteLength) memory.grow(Math.ceil((next - memory.buffer.byteLength) / PAGE));
    const buffer = memory.buffer;
    this.params = new Float32Array(buffer, this.address.params, n);
    this.grads = new Float32Array(buffer, this.address.grads, n);
    this.moments = new Float32Array(buffer, this.address.m, (this.address.pixels - this.address.m) / 4);
    this.pixels = new Float32Array(buffer, this.address.pixels, batch * IMAGE_PIXELS);
    this.labels = new Int32Array(buffer, this.address.labels, batch);
  }

  /** A kernel for `shape` with room for `batch` examples (compiles the kernels on first use on this machine). */
  static async create(shape: CnnShape, batch: number): Promise<CnnKernel> {
    if (!cnnKernelServes(shape)) {
      const input = shape.input ? `${shape.input.height}×${shape.input.width}×${shape.input.channels}` : '28×28×1';
      throw new KernelError('KERNEL_SHAPE', `the CNN kernels need 28×28×1 inputs and filter counts that are multiples of 4, got ${input} and ${JSON.stringify(shape.filters)}; train this shape through tfjs`, shape);
    }
    if (!Number.isInteger(batch) || batch < 1) throw new KernelError('KERNEL_SHAPE', `batch must be a positive integer, got ${batch}`, batch);
    const instance = new WebAssembly.Instance(await kernelModule('cnn'), {});
    return new CnnKernel(instance, shape, batch);
  }

  /** Computes `grads` for the first `rows` examples of `pixels`/`labels` and returns their mean loss. */
  gradient(rows: number = this.batch): number {
    if (!Number.isInteger(rows) || rows < 1 || rows > this.batch) throw new KernelError('KERNEL_SHAPE', `rows must be an integer in [1, ${this.batch}], got ${rows}`, rows);
    const [f1, f2] = this.shape.filters;
    const a = this.address;
    return this.exports.gradient(rows, this.shape.kernelSize, f1, f2, a.params, a.grads, a.pixels, a.labels, a.scratch);
  }

  /** Forgets Adam's moments and step count (a fresh optimizer, as each round's inner loop starts). */
  resetOptimizer(): void {
    this.moments.fill(0);
    this.accBeta1 = Math.fround(BETA1);
    this.accBeta2 = Math.fround(BETA2);
  }

  /** One Adam step (tf.train.adam's arithmetic) with the gradient in `grads`. */
  adamStep(learningRate: number): void {
    const a = this.address;
    this.exports.adam(this.params.length, a.params, a.grads, a.m, a.v, learningRate, BETA1, BETA2, EPSILON, this.accBeta1, this.accBeta2);
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(BETA1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(BETA2));
  }
}
