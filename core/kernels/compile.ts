import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../files/index.ts';
import { KernelError } from './errors.ts';

/** Compiler flags; part of the cache key, so changing them recompiles. */
const FLAGS = ['--optimizeLevel', '3', '--shrinkLevel', '0', '--runtime', 'stub', '--noAssert', '--enable', 'simd', '--enable', 'relaxed-simd'];

/** Compiled modules of this process, by source name. */
const modules = new Map<string, Promise<WebAssembly.Module>>();

/**
 * The compiled WebAssembly module of an AssemblyScript source in this folder (`<name>.as`, with
 * `shared.as`). The
 * binary is never committed: the first use on a machine compiles it (a few seconds) into
 * node_modules/.cache/gradnet-kernels/<name>-<hash of source and flags>.wasm, and every later use
 * (other processes, worker threads) reads that file.
 */
export function kernelModule(name: string): Promise<WebAssembly.Module> {
  let module = modules.get(name);
  if (!module) {
    module = loadOrCompile(name);
    modules.set(name, module);
    module.catch(() => modules.delete(name));
  }
  return module;
}

/** Where compiled kernels are cached (next to the compiler, so a fresh install starts clean). */
export function kernelCacheDirectory(): string {
  const compiler = createRequire(import.meta.url).resolve('assemblyscript/package.json');
  return join(dirname(dirname(compiler)), '.cache', 'gradnet-kernels');
}

/** AssemblyScript every kernel imports (memory helpers, the output layer, Adam): `./shared` in a kernel's source. */
const SHARED = 'shared';

async function loadOrCompile(name: string): Promise<WebAssembly.Module> {
  const sources: Record<string, string> = {};
  for (const file of [name, SHARED]) sources[`${file}.ts`] = await readFile(new URL(`./${file}.as`, import.meta.url), 'utf8');
  const compilerVersion = (createRequire(import.meta.url)('assemblyscript/package.json') as { version: string }).version;
  const key = createHash('sha256').update(JSON.stringify({ sources, FLAGS, compilerVersion })).digest('hex').slice(0, 16);
  const file = join(kernelCacheDirectory(), `${name}-${key}.wasm`);
  let binary: Uint8Array | undefined;
  try {
    binary = await readFile(file);
  } catch {
    binary = await compile(name, sources);
    // A read-only install still trains: it compiles again in the next process instead.
    await writeFileAtomic(file, binary).catch(() => undefined);
  }
  try {
    return await WebAssembly.compile(binary as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw new KernelError('KERNEL_LOAD', `the compiled kernel ${file} does not load (${(error as Error).message}); delete it to recompile, or run on a Node with WebAssembly SIMD and relaxed SIMD (Node >= 22)`, file, { cause: error });
  }
}

/** Compiles `<name>.ts` (its only entry: the shared file's exports are the kernel's only where it re-exports them). */
async function compile(name: string, sources: Record<string, string>): Promise<Uint8Array> {
  const asc = (await import('assemblyscript/asc')).default;
  const outputs: Record<string, Uint8Array | string> = {};
  const result = await asc.main([`${name}.ts`, '--outFile', 'kernel.wasm', ...FLAGS], {
    readFile: (file: string) => sources[file] ?? null,
    writeFile: (file: string, contents: Uint8Array | string) => {
      outputs[file] = contents;
    },
    listFiles: () => [],
  });
  const binary = outputs['kernel.wasm'];
  if (result.error || !(binary instanceof Uint8Array)) {
    throw new KernelError('KERNEL_COMPILE', `AssemblyScript could not compile core/kernels/${name}.as: ${result.stderr.toString() || result.error?.message}; fix the source or reinstall assemblyscript (npm install)`, name, { cause: result.error });
  }
  return binary;
}
