import { BLOCK_LENGTH } from './blocks.ts';
import { dotRange } from './vector.ts';

/** Figures a pass can gather while the data is in cache, instead of in passes of their own. */
export interface PassStatistics {
  /** Filled with Σ updates[i][k]² per update. */
  sumSquares?: Float64Array;
  /** Filled with updates[i] · result per update, against the float32 result. */
  dots?: Float64Array;
}

/** Adds updates[i] · result over one finished block of the result to `dots`. */
export function addBlockDots(updates: readonly Float32Array[], result: Float32Array, start: number, end: number, dots: Float64Array): void {
  for (let i = 0; i < updates.length; i++) dots[i] += dotRange(updates[i], result, start, end);
}

/**
 * Σ weights[i] · updates[i], per coordinate in float64, rounded to float32 once. Four updates are
 * folded per sweep of the block accumulator, in a fixed grouping (((acc + (w0a + w1b)) + (w2c +
 * w3d))), which quarters the accumulator traffic; the order depends only on n, never on timing.
 */
export function weightedSum(
  updates: readonly Float32Array[],
  weights: Float64Array,
  length: number,
  statistics: PassStatistics = {},
): Float32Array {
  const { sumSquares, dots } = statistics;
  const n = updates.length;
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
      let qa = 0;
      let qb = 0;
      let qc = 0;
      let qd = 0;
      for (let k = 0; k < blockLength; k++) {
        const va = a[start + k];
        const vb = b[start + k];
        const vc = c[start + k];
        const vd = d[start + k];
        accumulator[k] += wa * va + wb * vb + (wc * vc + wd * vd);
        qa += va * va;
        qb += vb * vb;
        qc += vc * vc;
        qd += vd * vd;
      }
      if (sumSquares) {
        sumSquares[i] += qa;
        sumSquares[i + 1] += qb;
        sumSquares[i + 2] += qc;
        sumSquares[i + 3] += qd;
      }
    }
    for (; i < n; i++) {
      const a = updates[i];
      const wa = weights[i];
      let qa = 0;
      for (let k = 0; k < blockLength; k++) {
        const va = a[start + k];
        accumulator[k] += wa * va;
        qa += va * va;
      }
      if (sumSquares) sumSquares[i] += qa;
    }
    for (let k = 0; k < blockLength; k++) out[start + k] = accumulator[k];
    if (dots) addBlockDots(updates, out, start, start + blockLength, dots);
  }
  return out;
}
