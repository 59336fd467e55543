import { AggregationConfigError } from './errors.ts';

/**
 * Float64 reductions over Float32Array in a fixed order. Four interleaved accumulators break the
 * add-latency chain (about 4× faster here) and are combined the same way every time, so a result
 * depends only on the values, never on timing or on how a caller blocks its loops.
 */

/** Σ a[k]·b[k] over [start, end), accumulated in float64 in a fixed order. */
export function dotRange(a: Float32Array, b: Float32Array, start: number, end: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = start;
  for (; k + 3 < end; k += 4) {
    s0 += a[k] * b[k];
    s1 += a[k + 1] * b[k + 1];
    s2 += a[k + 2] * b[k + 2];
    s3 += a[k + 3] * b[k + 3];
  }
  for (; k < end; k++) s0 += a[k] * b[k];
  return s0 + s1 + (s2 + s3);
}

/**
 * Adds Σ a[k]·b[k] to dots[index] and Σ a[k]² to squares[index] over [start, end), in one sweep
 * over `a` (four lanes each, combined as in dotRange).
 */
export function addDotAndSquares(
  a: Float32Array,
  b: Float32Array,
  start: number,
  end: number,
  index: number,
  dots: Float64Array,
  squares: Float64Array,
): void {
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  let q3 = 0;
  let k = start;
  for (; k + 3 < end; k += 4) {
    const a0 = a[k];
    const a1 = a[k + 1];
    const a2 = a[k + 2];
    const a3 = a[k + 3];
    d0 += a0 * b[k];
    d1 += a1 * b[k + 1];
    d2 += a2 * b[k + 2];
    d3 += a3 * b[k + 3];
    q0 += a0 * a0;
    q1 += a1 * a1;
    q2 += a2 * a2;
    q3 += a3 * a3;
  }
  for (; k < end; k++) {
    d0 += a[k] * b[k];
    q0 += a[k] * a[k];
  }
  dots[index] += d0 + d1 + (d2 + d3);
  squares[index] += q0 + q1 + (q2 + q3);
}

/** Σ a[k]² over [start, end); a non-finite result means a non-finite value in the range. */
export function sumSquaresRange(a: Float32Array, start: number, end: number): number {
  return dotRange(a, a, start, end);
}

/** Euclidean norm, accumulated in float64. */
export function l2Norm(v: Float32Array): number {
  return Math.sqrt(sumSquaresRange(v, 0, v.length));
}

/** Dot product of two equal-length vectors, accumulated in float64. */
export function dot(a: Float32Array, b: Float32Array): number {
  return dotRange(a, b, 0, Math.min(a.length, b.length));
}

/** Cosine similarity; 0 when either vector is zero (a zero update points nowhere). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  const denominator = l2Norm(a) * l2Norm(b);
  return denominator > 0 ? dot(a, b) / denominator : 0;
}

/**
 * Scales `delta` down to norm `maxNorm` if it is longer; returns the input itself when it already
 * fits (callers must not mutate the result in place if they keep the input).
 */
export function clipByNorm(delta: Float32Array, maxNorm: number): Float32Array {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0)) {
    throw new AggregationConfigError(`clipping norm ${maxNorm} must be a positive finite number`, maxNorm);
  }
  const norm = l2Norm(delta);
  if (!(norm > maxNorm)) return delta;
  const scale = maxNorm / norm;
  const clipped = new Float32Array(delta.length);
  for (let k = 0; k < delta.length; k++) clipped[k] = delta[k] * scale;
  return clipped;
}

/** Median (the mean of the middle two for an even count); NaN for no values. */
export function medianOf(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
