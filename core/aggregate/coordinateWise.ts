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
  const rowBytes = BLOCK_LENGTH * Float32Array.BYTES_PER_ELEMENT;
  const rowsBuffer = new ArrayBuffer(rowCount * rowBytes);
  const floatRows = Array.from({ length: rowCount }, (_, row) => new Float32Array(rowsBuffer, row * rowBytes, BLOCK_LENGTH));
  const intRows = floatRows.map((row) => new Int32Array(row.buffer, row.byteOffset, row.length));
  const sortedBits = new Int32Array(rowCount * BLOCK_LENGTH);
  const sorted = new Float32Array(sortedBits.buffer);
  const firstKept = padding + trim;
  const lastKept = padding + count - 1 - trim;
  const kept = lastKept - firstKept + 1;
  const out = new Float32Array(length);
  // Padding exists only below 16 rows, where the network leaves its input rows as they are.
  for (let row = count; row < rowCount; row++) floatRows[row].fill(row < count + padding ? -Infinity : Infinity);

  for (let start = 0; start < length; start += BLOCK_LENGTH) {
    const blockLength = Math.min(BLOCK_LENGTH, length - start);
    for (let i = 0; i < count; i++) copyScaledBlock(updates[i], start, blockLength, scales[i], floatRows[i]);
    sortColumns(intRows, blockLength, sortedBits);
    for (let k = 0; k < blockLength; k++) {
      const offset = k * rowCount;
      let sum = 0;
      for (let slot = firstKept; slot <= lastKept; slot++) sum += sorted[offset + slot];
      out[start + k] = sum / kept;
    }
    addBlockStatistics(updates, out, start, start + blockLength, statistics);
  }
  return out;
}
