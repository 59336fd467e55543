import { BLOCK_LENGTH } from './blocks.ts';
import { trimmedMeanCoordinates } from './coordinateWise.ts';
import type { PassStatistics } from './mean.ts';
import { medianOf } from './vector.ts';

export interface CenteredClipResult {
  center: Float32Array;
  /** The clipping radius used (given, or the median starting distance). */
  tau: number;
  /** Per update (digest order): the weight min(1, τ / distance) it had in the last iteration. */
  finalWeights: Float64Array;
}

/** Adds ‖scales[i]·updates[i] − center‖² over [start, end) to squared[i], in float64 in a fixed order. */
function addSquaredDistances(
  updates: readonly Float32Array[],
  scales: Float64Array,
  center: Float32Array,
  start: number,
  end: number,
  squared: Float64Array,
): void {
  for (let i = 0; i < updates.length; i++) {
    const update = updates[i];
    const scale = scales[i];
    let s0 = 0;
    let s1 = 0;
    let k = start;
    for (; k + 1 < end; k += 2) {
      const d0 = scale * update[k] - center[k];
      const d1 = scale * update[k + 1] - center[k + 1];
      s0 += d0 * d0;
      s1 += d1 * d1;
    }
    for (; k < end; k++) {
      const d = scale * update[k] - center[k];
      s0 += d * d;
    }
    squared[i] += s0 + s1;
  }
}

/**
 * Centered clipping: v ← v + (1/n) Σ min(1, τ/‖x_i − v‖)(x_i − v), `iterations` times, from the
 * coordinate median (a robust start, since there is no previous round's momentum to start from).
 * Each iteration measures the distances to its new centre block by block as it moves it, while
 * the blocks are in cache. `startStatistics` are gathered during the median's pass.
 */
export function centeredClip(
  updates: readonly Float32Array[],
  scales: Float64Array,
  length: number,
  options: { tau?: number; iterations: number },
  startStatistics: Pick<PassStatistics, 'sumSquares'> = {},
): CenteredClipResult {
  const n = updates.length;
  const center = trimmedMeanCoordinates(updates, scales, length, Math.floor((n - 1) / 2), startStatistics);
  let squared = new Float64Array(n);
  for (let start = 0; start < length; start += BLOCK_LENGTH) {
    addSquaredDistances(updates, scales, center, start, Math.min(length, start + BLOCK_LENGTH), squared);
  }
  const tau = options.tau ?? medianOf(squared.map(Math.sqrt));
  const weights = new Float64Array(n);
  const accumulator = new Float64Array(BLOCK_LENGTH);
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    // A zero radius (all updates identical, or a zero median distance) leaves the centre in place.
    for (let i = 0; i < n; i++) {
      const distance = Math.sqrt(squared[i]);
      weights[i] = distance > tau ? tau / distance : 1;
    }
    const measureNext = iteration + 1 < options.iterations;
    squared = new Float64Array(n);
    for (let start = 0; start < length; start += BLOCK_LENGTH) {
      const blockLength = Math.min(BLOCK_LENGTH, length - start);
      accumulator.fill(0);
      for (let i = 0; i < n; i++) {
        const update = updates[i];
        const scale = scales[i];
        const weight = weights[i];
        for (let k = 0; k < blockLength; k++) accumulator[k] += weight * (scale * update[start + k] - center[start + k]);
      }
      for (let k = 0; k < blockLength; k++) center[start + k] += accumulator[k] / n;
      if (measureNext) addSquaredDistances(updates, scales, center, start, start + blockLength, squared);
    }
  }
  return { center, tau, finalWeights: weights };
}
