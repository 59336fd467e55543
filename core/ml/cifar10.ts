import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NUM_CLASSES, inputSize, type Dataset, type InputShape } from './dataset.ts';
import { DatasetError } from './errors.ts';
import { splitValidation, type DatasetSplits } from './idx.ts';

export const CIFAR10_INPUT_SHAPE: InputShape = Object.freeze({ height: 32, width: 32, channels: 3 });
/** One label byte, then 1,024 red, 1,024 green and 1,024 blue bytes, each plane row-major. */
export const CIFAR10_RECORD_BYTES = 1 + inputSize(CIFAR10_INPUT_SHAPE);
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_FILE = 'test_batch.bin';
/** The folder the official "CIFAR-10 binary version" archive unpacks to. */
const ARCHIVE_FOLDER = 'cifar-10-batches-bin';
const WHERE = 'the CIFAR-10 binary version (cifar-10-binary.tar.gz, unpacked)';

export interface LoadCifar10Options {
  /** Folder holding data_batch_1.bin … data_batch_5.bin and test_batch.bin (or their cifar-10-batches-bin/ folder). */
  readonly dataDir?: string;
  readonly validationSize: number;
  readonly signal?: AbortSignal;
}

/**
 * CIFAR-10 from its official binary files. Records are channel-planar (R, G, B planes); examples
 * are stored channels last (H, W, C) like every Dataset, as tfjs's conv2d takes them.
 */
export async function loadCifar10(options: LoadCifar10Options): Promise<DatasetSplits> {
  if (options.dataDir === undefined) {
    throw new DatasetError(`--dataset cifar10 needs --dataset-dir DIR: a folder holding ${CIFAR10_TRAIN_FILES.join(', ')} and ${CIFAR10_TEST_FILE} from ${WHERE}`, undefined);
  }
  const dir = await locateBatches(options.dataDir);
  const train = await Promise.all(CIFAR10_TRAIN_FILES.map((file) => readBatch(dir, file, options.signal)));
  const fullTrain = concatenate(train);
  const test = await readBatch(dir, CIFAR10_TEST_FILE, options.signal);
  return splitValidation(fullTrain, test, options.validationSize);
}

async function locateBatches(dataDir: string): Promise<string> {
  try {
    await access(dataDir);
  } catch (error) {
    throw new DatasetError(`CIFAR-10 data directory ${dataDir} does not exist; point --dataset-dir at the folder holding ${WHERE}`, dataDir, { cause: error });
  }
  const nested = join(dataDir, ARCHIVE_FOLDER);
  const hasNested = await access(join(nested, CIFAR10_TEST_FILE)).then(
    () => true,
    () => false,
  );
  return hasNested ? nested : dataDir;
}

async function readBatch(dir: string, file: string, signal?: AbortSignal): Promise<Dataset> {
  const path = join(dir, file);
  let bytes: Buffer;
  try {
    bytes = await readFile(path, { signal });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatasetError(`CIFAR-10 file ${path} is missing; --dataset-dir must hold ${CIFAR10_TRAIN_FILES.join(', ')} and ${CIFAR10_TEST_FILE} from ${WHERE}`, path, { cause: error });
    }
    throw error;
  }
  return parseCifar10Batch(bytes, path);
}

/** Parses one batch file; `what` names it in errors. */
export function parseCifar10Batch(bytes: Uint8Array, what: string): Dataset {
  const remainder = bytes.length % CIFAR10_RECORD_BYTES;
  if (remainder !== 0 || bytes.length === 0) {
    const records = Math.floor(bytes.length / CIFAR10_RECORD_BYTES);
    throw new DatasetError(
      `CIFAR-10 file ${what} is truncated: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records (record ${records + 1} has ${remainder} bytes); fetch it again`,
      bytes.length,
    );
  }
  const size = bytes.length / CIFAR10_RECORD_BYTES;
  const { height, width, channels } = CIFAR10_INPUT_SHAPE;
  const plane = height * width;
  const images = new Uint8Array(size * plane * channels);
  const labels = new Uint8Array(size);
  for (let record = 0; record < size; record++) {
    const start = record * CIFAR10_RECORD_BYTES;
    const label = bytes[start];
    if (label >= NUM_CLASSES) {
      throw new DatasetError(
        `CIFAR-10 file ${what} record ${record} has label ${label}, but CIFAR-10 labels are 0–${NUM_CLASSES - 1} (a CIFAR-100 file has two label bytes per record)`,
        label,
      );
    }
    labels[record] = label;
    const target = record * plane * channels;
    for (let channel = 0; channel < channels; channel++) {
      const source = start + 1 + channel * plane;
      for (let pixel = 0; pixel < plane; pixel++) images[target + pixel * channels + channel] = bytes[source + pixel];
    }
  }
  return { name: 'cifar10', shape: CIFAR10_INPUT_SHAPE, images, labels, size };
}

function concatenate(parts: Dataset[]): Dataset {
  const size = parts.reduce((total, part) => total + part.size, 0);
  const images = new Uint8Array(parts.reduce((total, part) => total + part.images.length, 0));
  const labels = new Uint8Array(size);
  let examples = 0;
  let values = 0;
  for (const part of parts) {
    images.set(part.images, values);
    labels.set(part.labels, examples);
    values += part.images.length;
    examples += part.size;
  }
  return { ...parts[0], images, labels, size };
}
