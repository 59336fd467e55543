import { BlockKernels, KERNEL_BLOCK_LENGTH } from './kernels.ts';
import { weightedSum } from './mean.ts';

/**
 * Gram matrix G[i][j] = updates[i] · updates[j] (full, symmetric, n × n row-major), in float64,
 * by the WebAssembly kernels (kernels.ts): blocked so each block of every update is reused from
 * cache, in tiles of two rows by two columns, each sum in two lanes added once per block. Squared
 * distances come from it as G[i][i] + G[j][j] − 2·G[i][j]: float32 products are exact in float64,
 * so the cancellation this risks is far below any distance that matters for selection.
 */
export function gramMatrix(updates: readonly Float32Array[], length: number): Float64Array {
  const n = updates.length;
  const gram = new Float64Array(n * n);
  const kernels = new BlockKernels(n);
  for (let start = 0; start < length; start += KERNEL_BLOCK_LENGTH) {
    kernels.loadRows(updates, start, Math.min(KERNEL_BLOCK_LENGTH, length - start));
    for (let i = 0; i < n; i += 2) {
      const i1 = Math.min(i + 1, n - 1);
      for (let j = i; j < n; j += 2) {
        const j1 = Math.min(j + 1, n - 1);
        const sums = kernels.tile(i, i1, j, j1);
        gram[i * n + j] += sums[0];
        if (j1 > j) gram[i * n + j1] += sums[1];
        // The lower triangle is filled from the upper one below; a single row or column is counted once.
        if (i1 > i && j >= i1) gram[i1 * n + j] += sums[2];
        if (i1 > i && j1 > j) gram[i1 * n + j1] += sums[3];
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
 * The unweighted mean of the selected clipped updates, its squared norm, and every update's dot
 * product with it (from the Gram matrix, so without another pass over the data).
 */
export function meanOfSelected(
  updates: readonly Float32Array[],
  gram: Float64Array,
  scales: Float64Array,
  selection: MultiKrumSelection,
  length: number,
): { mean: Float32Array; dots: Float64Array; meanSquares: number } {
  const chosen = selection.selected.flatMap((isSelected, i) => (isSelected ? [i] : []));
  const weights = Float64Array.from(chosen, (i) => scales[i] / selection.m);
  const resultSquares = new Float64Array(1);
  const mean = weightedSum(
    chosen.map((i) => updates[i]),
    weights,
    length,
    { resultSquares },
  );
  const n = updates.length;
  const dots = new Float64Array(n);
  for (let j = 0; j < n; j++) chosen.forEach((i, slot) => (dots[j] += weights[slot] * gram[j * n + i]));
  return { mean, dots, meanSquares: resultSquares[0] };
}
