import type { InputShape } from '../tensor/index.ts';
import { DatasetError } from './errors.ts';

export type { InputShape };

export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;
export const NUM_CLASSES = 10;

/** MNIST's and Fashion-MNIST's shape, and what a dataset or model spec that names none has. */
export const MNIST_INPUT_SHAPE: InputShape = Object.freeze({ height: IMAGE_SIDE, width: IMAGE_SIDE, channels: 1 });

/** Bytes (or floats, in a batch) per example. */
export function inputSize(shape: InputShape): number {
  return shape.height * shape.width * shape.channels;
}

export function formatInputShape(shape: InputShape): string {
  return `${shape.height}×${shape.width}×${shape.channels}`;
}

export function sameInputShape(a: InputShape, b: InputShape): boolean {
  return a.height === b.height && a.width === b.width && a.channels === b.channels;
}

/**
 * Labelled images, row-major with channels last (H, W, C), one byte per value (0–255). Bytes rather
 * than floats keep a full MNIST at 47 MB and make a dataset cheap to copy into a worker; batches
 * normalise on the fly. `name` and `shape` are absent for MNIST (28×28×1), as everywhere before
 * other datasets existed.
 */
export interface Dataset {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly size: number;
  readonly shape?: InputShape;
  /** Which dataset the examples come from (a DatasetName); a model trained on one refuses another. */
  readonly name?: string;
}

/** The shape of each example of `data`. */
export function datasetShape(data: Dataset): InputShape {
  return data.shape ?? MNIST_INPUT_SHAPE;
}

/** Checks the arrays agree with `size` and labels are classes. */
export function assertDataset(data: Dataset, what = 'dataset'): void {
  if (!(data?.images instanceof Uint8Array) || !(data.labels instanceof Uint8Array) || !Number.isInteger(data.size)) {
    throw new DatasetError(`${what} must be { images: Uint8Array, labels: Uint8Array, size }`, data);
  }
  if (data.images.length !== data.size * inputSize(datasetShape(data)) || data.labels.length !== data.size) {
    throw new DatasetError(
      `${what} claims ${data.size} examples of ${formatInputShape(datasetShape(data))} but holds ${data.images.length} values and ${data.labels.length} labels`,
      data.size,
    );
  }
}

/** The examples at `indices`, copied in that order. */
export function selectExamples(data: Dataset, indices: ArrayLike<number>): Dataset {
  const perExample = inputSize(datasetShape(data));
  const images = new Uint8Array(indices.length * perExample);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const source = indices[i];
    images.set(data.images.subarray(source * perExample, (source + 1) * perExample), i * perExample);
    labels[i] = data.labels[source];
  }
  return { ...describedAs(data), images, labels, size: indices.length };
}

/** A contiguous range of examples, without copying. */
export function sliceExamples(data: Dataset, start: number, end: number): Dataset {
  const perExample = inputSize(datasetShape(data));
  return {
    ...describedAs(data),
    images: data.images.subarray(start * perExample, end * perExample),
    labels: data.labels.subarray(start, end),
    size: end - start,
  };
}

/** Fills `pixels` (length rows × H·W·C) with the examples at `indices`, scaled to [0, 1], and `labels` with their classes. */
export function fillBatch(data: Dataset, indices: ArrayLike<number>, pixels: Float32Array, labels: Int32Array): void {
  const perExample = inputSize(datasetShape(data));
  for (let row = 0; row < indices.length; row++) {
    const source = indices[row] * perExample;
    const target = row * perExample;
    for (let p = 0; p < perExample; p++) pixels[target + p] = data.images[source + p] * (1 / 255);
    labels[row] = data.labels[indices[row]];
  }
}

/** The name and shape of `data`, as a part of `data` carries them on. */
function describedAs(data: Dataset): Pick<Dataset, 'name' | 'shape'> {
  return { ...(data.name === undefined ? {} : { name: data.name }), ...(data.shape === undefined ? {} : { shape: data.shape }) };
}
