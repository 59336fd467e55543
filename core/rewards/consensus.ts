/**
 * Detection of synthetic consensus updates ("a little is enough" and other free riders that send
 * a function of everyone else's updates instead of training). Independently trained updates each
 * carry their own sampling noise, so each is only so aligned with the mean of the others, and about
 * equally so; an update built from the others' mean lacks that noise and stands out above them.
 * Measured on MNIST (MLP, 10 IID peers, ALIE at z_max 0.52): honest updates' cosines to the mean
 * of the others span 0.79–0.82 in round 1 and 0.25–0.29 by round 4; the ALIE update's are 0.95
 * and 0.75.
 */

/**
 * How much more aligned than typical an update must be to count as synthetic, measured by its
 * misalignment 1 − cosine (scale-free: cosines bunch up near 1 when updates agree, as early in
 * training, and spread out later): flagged when below the median misalignment divided by `ratio`.
 * Against the measurements above the ALIE update sits at 0.24–0.35 of the median, honest ones at
 * 0.9–1.1 of it; averaging k updates divides their noise variance by k, so any synthetic mean of
 * several updates falls well under half.
 */
export interface ConsensusOptions {
  ratio: number;
}

export const CONSENSUS_DEFAULTS: ConsensusOptions = { ratio: 2 };

/** Fewest independent updates for the test to mean anything (with fewer, nothing is flagged). */
export const CONSENSUS_MIN_UPDATES = 4;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Each update's cosine to the mean of the others (0 for a zero update), in input order. Sums run in
 * float64 in input order, so the figures depend only on the inputs and their order.
 */
export function cosinesToOthers(deltas: readonly Float32Array[]): number[] {
  const length = deltas[0]?.length ?? 0;
  const sum = new Float64Array(length);
  for (const delta of deltas) for (let k = 0; k < length; k++) sum[k] += delta[k];
  return deltas.map((delta) => {
    let dot = 0;
    let own = 0;
    let others = 0;
    for (let k = 0; k < length; k++) {
      const rest = sum[k] - delta[k];
      dot += delta[k] * rest;
      own += delta[k] * delta[k];
      others += rest * rest;
    }
    return own > 0 && others > 0 ? dot / Math.sqrt(own * others) : 0;
  });
}

/**
 * Which updates are synthetic consensus: misalignment 1 − cos to the others' mean below the median
 * misalignment / ratio. `deltas` should hold one update per distinct payload (copies removed), or
 * a group of identical attackers would vouch for each other.
 */
export function flagConsensusUpdates(deltas: readonly Float32Array[], options: ConsensusOptions = CONSENSUS_DEFAULTS): { cosines: number[]; flagged: boolean[] } {
  const cosines = cosinesToOthers(deltas);
  if (deltas.length < CONSENSUS_MIN_UPDATES) return { cosines, flagged: cosines.map(() => false) };
  const threshold = median(cosines.map((cosine) => 1 - cosine)) / options.ratio;
  return { cosines, flagged: cosines.map((cosine) => 1 - cosine < threshold) };
}
