import { BLOCK_LENGTH } from './blocks.ts';
import { addDotAndSquares, dotRange, sumSquaresRange } from './vector.ts';

/** Figures a pass can gather while the data is in cache, instead of in passes of their own. */
export interface PassStatistics {
  /** Filled with Σ updates[i][k]² per update. */
  sumSquares?: Float64Array;
  /** Filled with updates[i] · result per update, against the float32 result. */
  dots?: Float64Array;
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
 * Σ weights[i] · updates[i], per coordinate in float64, rounded to float32 once. Four updates are
 * folded per sweep of the block accumulator, in a fixed grouping (((acc + (w0a + w1b)) + (w2c +
 * w3d))), which quarters the accumulator traffic; the order depends only on n, never on timing.
 * The same sweep sums each update's squares (two lanes, so their running sums do not chain every
 * iteration on the add latency); dots against the result follow per finished block.
 */
export function weightedSum(
  updates: readonly Float32Array[],
  weights: Float64Array,
  length: number,
  statistics: PassStatistics = {},
): Float32Array {
  const n = updates.length;
  const squares = statistics.sumSquares ?? new Float64Array(n);
  const out = new Float32Array(length);
  const accumulator = new Float64Array(BLOCK_LENGTH);
  for (let start = 0; start < length; start += BLOCK_LENGTH) {
    const blockLength = Math.min(BLOCK_LENGTH, length - start);
    accumulator.fill(0);
    let i = 0;
    for (; i + 3 < n; i += 4) {
      const a = updates[i];
      const b = updates[i + 1];
      const c = updates[i + 2];
      const d = updates[i + 3];
      const wa = weights[i];
      const wb = weights[i + 1];
      const wc = weights[i + 2];
      const wd = weights[i + 3];
      let qa0 = 0;
      let qa1 = 0;
      let qb0 = 0;
      let qb1 = 0;
      let qc0 = 0;
      let qc1 = 0;
      let qd0 = 0;
      let qd1 = 0;
      let k = 0;
      for (; k + 1 < blockLength; k += 2) {
        const o = start + k;
        const a0 = a[o];
        const b0 = b[o];
        const c0 = c[o];
        const d0 = d[o];
        const a1 = a[o + 1];
        const b1 = b[o + 1];
        const c1 = c[o + 1];
        const d1 = d[o + 1];
        accumulator[k] += wa * a0 + wb * b0 + (wc * c0 + wd * d0);
        accumulator[k + 1] += wa * a1 + wb * b1 + (wc * c1 + wd * d1);
        qa0 += a0 * a0;
        qb0 += b0 * b0;
        qc0 += c0 * c0;
        qd0 += d0 * d0;
        qa1 += a1 * a1;
        qb1 += b1 * b1;
        qc1 += c1 * c1;
        qd1 += d1 * d1;
      }
      if (k < blockLength) {
        const o = start + k;
        accumulator[k] += wa * a[o] + wb * b[o] + (wc * c[o] + wd * d[o]);
        qa0 += a[o] * a[o];
        qb0 += b[o] * b[o];
        qc0 += c[o] * c[o];
        qd0 += d[o] * d[o];
      }
      squares[i] += qa0 + qa1;
      squares[i + 1] += qb0 + qb1;
      squares[i + 2] += qc0 + qc1;
      squares[i + 3] += qd0 + qd1;
    }
    for (; i < n; i++) {
      const a = updates[i];
      const wa = weights[i];
      for (let k = 0; k < blockLength; k++) accumulator[k] += wa * a[start + k];
      squares[i] += sumSquaresRange(a, start, start + blockLength);
    }
    for (let k = 0; k < blockLength; k++) out[start + k] = accumulator[k];
    if (statistics.dots) addBlockStatistics(updates, out, start, start + blockLength, { dots: statistics.dots });
  }
  return out;
}
