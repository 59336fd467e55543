/**
 * Entry point of `npm install`'s postinstall (never imported): compiles the kernels into their cache
 * ahead of the first training step. It only saves that step's wait, so a failure is reported and
 * left to the first use, which compiles (or reports) again.
 */
import { kernelCacheDirectory, kernelModule } from './compile.ts';

try {
  const started = performance.now();
  await kernelModule('cnn');
  console.error(`gradnet: CNN kernels ready in ${kernelCacheDirectory()} (${Math.round(performance.now() - started)} ms)`);
} catch (error) {
  console.error(`gradnet: the CNN kernels will compile on first use instead: ${(error as Error).message}`);
}
