import { BlockKernels, KERNEL_BLOCK_LENGTH } from './kernels.ts';
import { addDotAndSquares, dotRange, sumSquaresRange } from './vector.ts';

/** Figures a pass can gather while the data is in cache, instead of in passes of their own. */
export interface PassStatistics {
  /** Filled with Σ updates[i][k]² per update. */
  sumSquares?: Float64Array;
  /** Filled with updates[i] · result per update, against the float32 result. */
  dots?: Float64Array;
  /** weightedSum only: [0] is filled with Σ result[k]², for the aggregate's norm. */
  resultSquares?: Float64Array;
}

/**
 * Adds dots and squares of two updates over [start, end) in one sweep, sharing each load of the
 * result between them (two lanes per sum, combined the same way every time).
 */
function addPairDotsAndSquares(
  a: Float32Array,
  b: Float32Array,
  result: Float32Array,
  start: number,
  end: number,
  index: number,
  dots: Float64Array,
  squares: Float64Array,
): void {
  let da0 = 0;
  let da1 = 0;
  let db0 = 0;
  let db1 = 0;
  let qa0 = 0;
  let qa1 = 0;
  let qb0 = 0;
  let qb1 = 0;
  let k = start;
  for (; k + 1 < end; k += 2) {
    const r0 = result[k];
    const r1 = result[k + 1];
    const a0 = a[k];
    const a1 = a[k + 1];
    const b0 = b[k];
    const b1 = b[k + 1];
    da0 += a0 * r0;
    da1 += a1 * r1;
    db0 += b0 * r0;
    db1 += b1 * r1;
    qa0 += a0 * a0;
    qa1 += a1 * a1;
    qb0 += b0 * b0;
    qb1 += b1 * b1;
  }
  if (k < end) {
    da0 += a[k] * result[k];
    db0 += b[k] * result[k];
    qa0 += a[k] * a[k];
    qb0 += b[k] * b[k];
  }
  dots[index] += da0 + da1;
  dots[index + 1] += db0 + db1;
  squares[index] += qa0 + qa1;
  squares[index + 1] += qb0 + qb1;
}

/** addPairDotsAndSquares without the squares: four accumulators fit the registers where eight spill. */
function addPairDots(a: Float32Array, b: Float32Array, result: Float32Array, start: number, end: number, index: number, dots: Float64Array): void {
  let da0 = 0;
  let da1 = 0;
  let db0 = 0;
  let db1 = 0;
  let k = start;
  for (; k + 1 < end; k += 2) {
    const r0 = result[k];
    const r1 = result[k + 1];
    da0 += a[k] * r0;
    da1 += a[k + 1] * r1;
    db0 += b[k] * r0;
    db1 += b[k + 1] * r1;
  }
  if (k < end) {
    da0 += a[k] * result[k];
    db0 += b[k] * result[k];
  }
  dots[index] += da0 + da1;
  dots[index + 1] += db0 + db1;
}

/**
 * Adds the statistics of one finished block of the result, re-reading the block of each update
 * from cache. Squares are gathered here rather than in the rule's own loop, where their running
 * sums would chain every iteration on the add latency (measured twice as slow).
 */
export function addBlockStatistics(updates: readonly Float32Array[], result: Float32Array, start: number, end: number, statistics: PassStatistics): void {
  const { sumSquares, dots } = statistics;
  let i = 0;
  for (; dots && i + 1 < updates.length; i += 2) {
    if (sumSquares) addPairDotsAndSquares(updates[i], updates[i + 1], result, start, end, i, dots, sumSquares);
    else addPairDots(updates[i], updates[i + 1], result, start, end, i, dots);
  }
  for (; i < updates.length; i++) {
    if (dots && sumSquares) addDotAndSquares(updates[i], result, start, end, i, dots, sumSquares);
    else if (dots) dots[i] += dotRange(updates[i], result, start, end);
    else if (sumSquares) sumSquares[i] += sumSquaresRange(updates[i], start, end);
  }
}

/**
 * Σ weights[i] · updates[i], per coordinate in float64, rounded to float32 once, in the
 * WebAssembly kernels (kernels.ts). Four updates are folded per sweep of the block accumulator,
 * in a fixed grouping (acc + ((w0a + w1b) + (w2c + w3d))), which quarters the accumulator traffic;
 * the order depends only on n, never on timing or on the block size. The same sweep sums each
 * update's squares; dots against the result and the result's squares follow per finished block,
 * while it is in cache.
 */
export function weightedSum(
  updates: readonly Float32Array[],
  weights: Float64Array,
  length: number,
  statistics: PassStatistics = {},
): Float32Array {
  const n = updates.length;
  const kernels = new BlockKernels(n);
  const out = new Float32Array(length);
  for (let start = 0; start < length; start += KERNEL_BLOCK_LENGTH) {
    const blockLength = Math.min(KERNEL_BLOCK_LENGTH, length - start);
    kernels.loadRows(updates, start, blockLength);
    kernels.acc.fill(0);
    let i = 0;
    for (; i + 3 < n; i += 4) kernels.quad(i, weights[i], weights[i + 1], weights[i + 2], weights[i + 3]);
    for (; i < n; i++) kernels.single(i, weights[i]);
    out.set(kernels.demote(blockLength), start);
    if (statistics.dots) {
      let row = 0;
      for (; row + 3 < n; row += 4) kernels.quadDots(row);
      for (; row + 1 < n; row += 2) kernels.pairDots(row);
      if (row < n) kernels.pairDots(row, true);
    }
  }
  for (let i = 0; i < n; i++) {
    if (statistics.sumSquares) statistics.sumSquares[i] += kernels.sums[i];
    if (statistics.dots) statistics.dots[i] += kernels.sums[n + i];
  }
  if (statistics.resultSquares) statistics.resultSquares[0] += kernels.sums[2 * n];
  return out;
}
