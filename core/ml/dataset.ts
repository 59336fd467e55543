import { DatasetError } from './errors.ts';

export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;
export const NUM_CLASSES = 10;

/**
 * Labelled 28×28 grey images, row-major, one byte per pixel (0–255). Bytes rather than floats keep
 * a full MNIST at 47 MB and make a dataset cheap to copy into a worker; batches normalise on the fly.
 */
export interface Dataset {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly size: number;
}

/** Checks the arrays agree with `size` and labels are classes. */
export function assertDataset(data: Dataset, what = 'dataset'): void {
  if (!(data?.images instanceof Uint8Array) || !(data.labels instanceof Uint8Array) || !Number.isInteger(data.size)) {
    throw new DatasetError(`${what} must be { images: Uint8Array, labels: Uint8Array, size }`, data);
  }
  if (data.images.length !== data.size * IMAGE_PIXELS || data.labels.length !== data.size) {
    throw new DatasetError(
      `${what} claims ${data.size} examples but holds ${data.images.length} pixels and ${data.labels.length} labels`,
      data.size,
    );
  }
}

/** The examples at `indices`, copied in that order. */
export function selectExamples(data: Dataset, indices: ArrayLike<number>): Dataset {
  const images = new Uint8Array(indices.length * IMAGE_PIXELS);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const source = indices[i];
    images.set(data.images.subarray(source * IMAGE_PIXELS, (source + 1) * IMAGE_PIXELS), i * IMAGE_PIXELS);
    labels[i] = data.labels[source];
  }
  return { images, labels, size: indices.length };
}

/** A contiguous range of examples, without copying. */
export function sliceExamples(data: Dataset, start: number, end: number): Dataset {
  return {
    images: data.images.subarray(start * IMAGE_PIXELS, end * IMAGE_PIXELS),
    labels: data.labels.subarray(start, end),
    size: end - start,
  };
}

/** Fills `pixels` (length rows×784) with the images at `indices`, scaled to [0, 1], and `labels` with their classes. */
export function fillBatch(data: Dataset, indices: ArrayLike<number>, pixels: Float32Array, labels: Int32Array): void {
  for (let row = 0; row < indices.length; row++) {
    const source = indices[row] * IMAGE_PIXELS;
    const target = row * IMAGE_PIXELS;
    for (let p = 0; p < IMAGE_PIXELS; p++) pixels[target + p] = data.images[source + p] * (1 / 255);
    labels[row] = data.labels[indices[row]];
  }
}
