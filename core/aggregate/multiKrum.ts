import { BLOCK_LENGTH } from './blocks.ts';
import { weightedSum } from './mean.ts';

/**
 * Gram matrix G[i][j] = updates[i] · updates[j] (full, symmetric, n × n row-major), in float64.
 * Blocked so each block of every update is read from cache n times, and tiled four columns at a
 * time so one load of updates[i] feeds four independent accumulators. Squared distances come from
 * it as G[i][i] + G[j][j] − 2·G[i][j]: float32 products are exact in float64, so the cancellation
 * this risks is far below any distance that matters for selection.
 */
export function gramMatrix(updates: readonly Float32Array[], length: number): Float64Array {
  const n = updates.length;
  const gram = new Float64Array(n * n);
  for (let start = 0; start < length; start += BLOCK_LENGTH) {
    const end = Math.min(length, start + BLOCK_LENGTH);
    for (let i = 0; i < n; i++) {
      const a = updates[i];
      let j = i;
      for (; j + 3 < n; j += 4) {
        const b0 = updates[j];
        const b1 = updates[j + 1];
        const b2 = updates[j + 2];
        const b3 = updates[j + 3];
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let k = start; k < end; k++) {
          const v = a[k];
          s0 += v * b0[k];
          s1 += v * b1[k];
          s2 += v * b2[k];
          s3 += v * b3[k];
        }
        gram[i * n + j] += s0;
        gram[i * n + j + 1] += s1;
        gram[i * n + j + 2] += s2;
        gram[i * n + j + 3] += s3;
      }
      for (; j < n; j++) {
        const b = updates[j];
        let s = 0;
        for (let k = start; k < end; k++) s += a[k] * b[k];
        gram[i * n + j] += s;
      }
    }
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
