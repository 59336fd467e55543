/**
 * Coordinates are processed in blocks of this many, across all updates at once, so that a block
 * of every update (16 × 8 KiB) and the block's accumulators stay in cache while each is reused.
 * Within a block every coordinate is still reduced over the updates in digest order, so results
 * do not depend on the block size.
 */
export const BLOCK_LENGTH = 2048;

/** Writes `source[start .. start+length) × scale` into `target[0 .. length)` (rounded to float32). */
export function copyScaledBlock(source: Float32Array, start: number, length: number, scale: number, target: Float32Array): void {
  if (scale === 1) {
    target.set(source.subarray(start, start + length));
    return;
  }
  for (let k = 0; k < length; k++) target[k] = source[start + k] * scale;
}
