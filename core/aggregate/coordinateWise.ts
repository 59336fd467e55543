import { BLOCK_LENGTH, copyScaledBlock } from './blocks.ts';
import { addBlockStatistics, type PassStatistics } from './mean.ts';
import { lowPadding, paddedRowCount, sortColumns } from './orderStatistics.ts';

/**
 * Coordinate-wise trimmed mean of `scales[i] · updates[i]`: per coordinate, drop the `trim`
 * smallest and `trim` largest values and average the rest in float64 (ascending order). With
 * trim = floor((n − 1) / 2) this is the coordinate median (the mean of the middle two for even n).
 * Gathers `statistics` of the updates as given (unscaled) while each block is in cache.
 */
export function trimmedMeanCoordinates(
  updates: readonly Float32Array[],
  scales: Float64Array,
  length: number,
  trim: number,
  statistics: PassStatistics = {},
): Float32Array {
  const count = updates.length;
  const rowCount = paddedRowCount(count);
  const padding = lowPadding(count);
  const buffer = new ArrayBuffer(rowCount * BLOCK_LENGTH * Float32Array.BYTES_PER_ELEMENT);
  const rowBytes = BLOCK_LENGTH * Float32Array.BYTES_PER_ELEMENT;
  const floatRows = Array.from({ length: rowCount }, (_, row) => new Float32Array(buffer, row * rowBytes, BLOCK_LENGTH));
  const intRows = Array.from({ length: rowCount }, (_, row) => new Int32Array(buffer, row * rowBytes, BLOCK_LENGTH));
  const firstKept = padding + trim;
  const lastKept = padding + count - 1 - trim;
  const kept = lastKept - firstKept + 1;
  const out = new Float32Array(length);
  const accumulator = new Float64Array(BLOCK_LENGTH);

  for (let start = 0; start < length; start += BLOCK_LENGTH) {
    const blockLength = Math.min(BLOCK_LENGTH, length - start);
    for (let i = 0; i < count; i++) copyScaledBlock(updates[i], start, blockLength, scales[i], floatRows[i]);
    // Padding rows are refilled every block because sorting moves real values into them.
    for (let row = count; row < rowCount; row++) {
      floatRows[row].fill(row < count + padding ? -Infinity : Infinity, 0, blockLength);
    }
    sortColumns(intRows, blockLength);
    if (kept === 1) {
      out.set(floatRows[firstKept].subarray(0, blockLength), start);
    } else {
      accumulator.fill(0);
      for (let row = firstKept; row <= lastKept; row++) {
        const values = floatRows[row];
        for (let k = 0; k < blockLength; k++) accumulator[k] += values[k];
      }
      for (let k = 0; k < blockLength; k++) out[start + k] = accumulator[k] / kept;
    }
    addBlockStatistics(updates, out, start, start + blockLength, statistics);
  }
  return out;
}
