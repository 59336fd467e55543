import { BLOCK_LENGTH } from './blocks.ts';
import { weightedSum } from './mean.ts';
import { dotRange } from './vector.ts';

/**
 * Gram matrix G[i][j] = updates[i] · updates[j] (full, symmetric, n × n row-major), in float64.
 * Blocked so each block of every update is reused from cache, and tiled two rows by two columns so
 * four loads feed four independent accumulators. Squared distances come from it as G[i][i] +
 * G[j][j] − 2·G[i][j]: float32 products are exact in float64, so the cancellation this risks is
 * far below any distance that matters for selection.
 */
export function gramMatrix(updates: readonly Float32Array[], length: number): Float64Array {
  const n = updates.length;
  const gram = new Float64Array(n * n);
  for (let start = 0; start < length; start += BLOCK_LENGTH) {
    const end = Math.min(length, start + BLOCK_LENGTH);
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const a0 = updates[i];
      const a1 = updates[i + 1];
      let d00 = 0;
      let d01 = 0;
      let d11 = 0;
      for (let k = start; k < end; k++) {
        const x = a0[k];
        const y = a1[k];
        d00 += x * x;
        d01 += x * y;
        d11 += y * y;
      }
      gram[i * n + i] += d00;
      gram[i * n + i + 1] += d01;
      gram[(i + 1) * n + i + 1] += d11;
      let j = i + 2;
      for (; j + 1 < n; j += 2) {
        const b0 = updates[j];
        const b1 = updates[j + 1];
        let s00 = 0;
        let s01 = 0;
        let s10 = 0;
        let s11 = 0;
        for (let k = start; k < end; k++) {
          const x = a0[k];
          const y = a1[k];
          const u = b0[k];
          const v = b1[k];
          s00 += x * u;
          s01 += x * v;
          s10 += y * u;
          s11 += y * v;
        }
        gram[i * n + j] += s00;
        gram[i * n + j + 1] += s01;
        gram[(i + 1) * n + j] += s10;
        gram[(i + 1) * n + j + 1] += s11;
      }
      if (j < n) {
        const b = updates[j];
        let s0 = 0;
        let s1 = 0;
        for (let k = start; k < end; k++) {
          const u = b[k];
          s0 += a0[k] * u;
          s1 += a1[k] * u;
        }
        gram[i * n + j] += s0;
        gram[(i + 1) * n + j] += s1;
      }
    }
    if (i < n) gram[i * n + i] += dotRange(updates[i], updates[i], start, end);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) gram[i * n + j] = gram[j * n + i];
  return gram;
}

export interface MultiKrumSelection {
  /** Byzantine count assumed, after capping to what n allows. */
  f: number;
  /** Updates averaged, after capping. */
  m: number;
  /** Per update (digest order): summed squared distance to its n − f − 2 nearest neighbours. */
  scores: Float64Array;
  /** Per update: whether it is among the m lowest scores (ties go to the lower digest). */
  selected: boolean[];
}

/**
 * Krum's scores over the clipped updates `scales[i] · updates[i]`, and the m best. f is capped at
 * floor((n − 3) / 2), the most Krum tolerates, so a round with fewer updates than planned still
 * aggregates (the cap shows in the stats); m is capped at n.
 */
export function selectMultiKrum(
  gram: Float64Array,
  scales: Float64Array,
  requested: { f?: number; m?: number },
): MultiKrumSelection {
  const n = scales.length;
  const maxF = Math.max(0, Math.floor((n - 3) / 2));
  const f = Math.min(requested.f ?? maxF, maxF);
  const m = Math.min(requested.m ?? n - f, n);
  const neighbours = Math.max(0, n - f - 2);
  const scores = new Float64Array(n);
  const distances = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    let slot = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const squared =
        scales[i] * scales[i] * gram[i * n + i] + scales[j] * scales[j] * gram[j * n + j] - 2 * scales[i] * scales[j] * gram[i * n + j];
      distances[slot++] = Math.max(0, squared);
    }
    distances.sort();
    let score = 0;
    for (let r = 0; r < neighbours; r++) score += distances[r];
    scores[i] = score;
  }
  const ranking = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  const selected = new Array<boolean>(n).fill(false);
  for (const i of ranking.slice(0, m)) selected[i] = true;
  return { f, m, scores, selected };
}

/**
 * The unweighted mean of the selected clipped updates, and every update's dot product with it
 * (from the Gram matrix, so without another pass over the data).
 */
export function meanOfSelected(
  updates: readonly Float32Array[],
  gram: Float64Array,
  scales: Float64Array,
  selection: MultiKrumSelection,
  length: number,
): { mean: Float32Array; dots: Float64Array } {
  const chosen = selection.selected.flatMap((isSelected, i) => (isSelected ? [i] : []));
  const weights = Float64Array.from(chosen, (i) => scales[i] / selection.m);
  const mean = weightedSum(
    chosen.map((i) => updates[i]),
    weights,
    length,
  );
  const n = updates.length;
  const dots = new Float64Array(n);
  for (let j = 0; j < n; j++) chosen.forEach((i, slot) => (dots[j] += weights[slot] * gram[j * n + i]));
  return { mean, dots };
}
