import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { IMAGE_SIDE, NUM_CLASSES, sliceExamples, type Dataset } from './dataset.ts';
import { DatasetError } from './errors.ts';

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;
const GZIP_MAGIC = [0x1f, 0x8b];
const gunzipAsync = promisify(gunzip);

/** A dataset split three ways; `validation` is cut from the training file and no shard ever contains it. */
export interface DatasetSplits {
  readonly train: Dataset;
  readonly validation: Dataset;
  readonly test: Dataset;
}

/** How an IDX dataset (LeCun's format: MNIST, Fashion-MNIST) is found and what to say when it is not. */
export interface IdxSource {
  readonly dir: string;
  /** Its DatasetName, carried by every split; undefined for MNIST (see Dataset). */
  readonly name: string | undefined;
  /** What a reader is told to run when a file is missing or malformed, e.g. "apt-get install dataset-fashion-mnist". */
  readonly installHint: string;
  readonly validationSize: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads the four 28×28 IDX files (each raw or gzipped: `name` or `name.gz`). The last
 * `validationSize` training examples form the validation split: a fixed cut, so every peer and the
 * coordinator agree on it.
 */
export async function loadIdxSplits(source: IdxSource): Promise<DatasetSplits> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((file) => readIdx(source, file)),
  );
  const fullTrain = toDataset(trainImages, trainLabels, 'train', source);
  const test = toDataset(testImages, testLabels, 't10k', source);
  return splitValidation(fullTrain, test, source.validationSize);
}

/** Cuts the last `validationSize` examples of `fullTrain` off as the validation split. */
export function splitValidation(fullTrain: Dataset, test: Dataset, validationSize: number): DatasetSplits {
  if (!Number.isInteger(validationSize) || validationSize < 0) {
    throw new DatasetError(`validationSize must be a non-negative integer, got ${validationSize}`, validationSize);
  }
  if (validationSize >= fullTrain.size) {
    throw new DatasetError(
      `the training files hold ${fullTrain.size} examples, not more than the ${validationSize} kept for validation; point at the full dataset (or ask for a smaller validationSize)`,
      fullTrain.size,
    );
  }
  const cut = fullTrain.size - validationSize;
  return { train: sliceExamples(fullTrain, 0, cut), validation: sliceExamples(fullTrain, cut, fullTrain.size), test };
}

async function readIdx(source: IdxSource, file: string): Promise<Buffer> {
  const raw = join(source.dir, file);
  const bytes = (await readIfPresent(raw, source.signal)) ?? (await readIfPresent(`${raw}.gz`, source.signal));
  if (bytes === undefined) {
    throw new DatasetError(`dataset file ${raw} (or ${raw}.gz) is missing; install the dataset with \`${source.installHint}\``, raw);
  }
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (error) {
    throw new DatasetError(`dataset file ${raw}.gz is not a readable gzip file; reinstall the dataset with \`${source.installHint}\``, raw, { cause: error });
  }
}

async function readIfPresent(path: string, signal?: AbortSignal): Promise<Buffer | undefined> {
  try {
    return await readFile(path, { signal });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function toDataset(imagesFile: Buffer, labelsFile: Buffer, split: string, source: IdxSource): Dataset {
  const fix = `reinstall the dataset with \`${source.installHint}\``;
  if (imagesFile.length < 16 || imagesFile.readUInt32BE(0) !== IMAGES_MAGIC) {
    throw new DatasetError(`${split} images file in ${source.dir} is not an IDX3 image file (bad magic); ${fix}`, split);
  }
  if (labelsFile.length < 8 || labelsFile.readUInt32BE(0) !== LABELS_MAGIC) {
    throw new DatasetError(`${split} labels file in ${source.dir} is not an IDX1 label file (bad magic); ${fix}`, split);
  }
  const count = imagesFile.readUInt32BE(4);
  const rows = imagesFile.readUInt32BE(8);
  const cols = imagesFile.readUInt32BE(12);
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE || imagesFile.length !== 16 + count * rows * cols) {
    throw new DatasetError(`${split} images file in ${source.dir} declares ${count} images of ${rows}×${cols} but holds ${imagesFile.length} bytes; ${fix}`, count);
  }
  if (labelsFile.readUInt32BE(4) !== count || labelsFile.length !== 8 + count) {
    throw new DatasetError(`${split} labels file in ${source.dir} does not hold exactly ${count} labels; ${fix}`, labelsFile.readUInt32BE(4));
  }
  const labels = new Uint8Array(labelsFile.subarray(8));
  const badLabel = labels.findIndex((label) => label >= NUM_CLASSES);
  if (badLabel >= 0) throw new DatasetError(`${split} label ${badLabel} is ${labels[badLabel]}, not a class 0–9; ${fix}`, labels[badLabel]);
  return { ...(source.name === undefined ? {} : { name: source.name }), images: new Uint8Array(imagesFile.subarray(16)), labels, size: count };
}
