import type { Hex } from 'viem';
import { CONSENSUS_DEFAULTS, flagConsensusUpdates, type ConsensusOptions } from './consensus.ts';
import { RewardsError } from './errors.ts';

/** An accepted update to score; `arrival` orders who was first (lower = earlier). */
export interface ScoreInput {
  nodeKey: Hex;
  /** Payload digest: two updates with the same one are the same payload. */
  digest: Hex;
  delta: Float32Array;
  arrival: number;
  /**
   * Whether the aggregation rule used the update (default true). One it rejected (Multi-Krum's
   * outliers) did not shape the model, so it scores 0 and is not evaluated.
   */
  selected?: boolean;
}

/** Why an update got the score it got. */
export type ScoreVerdict = 'scored' | 'rejected' | 'copy' | 'consensus';

/**
 * Losses count in fixed point, in points of 1e-9 (a mean cross-entropy of 0.3 is 300,000,000
 * points), before any difference is taken: scores are then integers, and the payout splits by
 * them in exact bigint arithmetic, so the same losses give the same rewards root on every host.
 */
export const POINTS_PER_LOSS_UNIT = 1_000_000_000;

/** A finite loss in points (rounded to the nearest), or null for a loss that is not a finite number. */
export function lossPoints(loss: number): bigint | null {
  const scaled = Math.round(loss * POINTS_PER_LOSS_UNIT);
  return Number.isFinite(scaled) ? BigInt(scaled) : null;
}

/** Points as a loss (for display and storage; decisions use the points). */
export function pointsAsLoss(points: bigint): number {
  return Number(points) / POINTS_PER_LOSS_UNIT;
}

export interface UpdateScore {
  nodeKey: Hex;
  digest: Hex;
  /**
   * max(0, points(loss(base)) − points(loss(base + stepScale · delta))); 0 unless the verdict is
   * 'scored', and for a non-finite loss. What the payout splits by.
   */
  points: bigint;
  /** `points` as a loss reduction (pointsAsLoss), for display. */
  score: number;
  verdict: ScoreVerdict;
  /** loss(base + stepScale · delta), or null when it was not evaluated (verdict other than 'scored'). */
  loss: number | null;
  /** The node whose earlier update this one copies, or null. */
  copyOf: Hex | null;
  /** Cosine to the mean of the other distinct updates (null for copies); see consensus.ts. */
  consensusCosine: number | null;
}

export interface ScoreOptions {
  /** The model the updates were trained from. */
  params: Float32Array;
  updates: readonly ScoreInput[];
  /** Validation loss of a parameter vector on the round's scoring batch; must be deterministic. */
  evaluateLoss: (params: Float32Array) => Promise<number>;
  /**
   * How much of each delta is applied when scoring it (default 1 / number of updates: its share
   * of a mean aggregate). A whole DiLoCo delta overshoots on its own once training is under way
   * (honest updates then raise the validation loss and only the average lowers it), which would
   * hand the budget to whichever noise happens to score above 0; the update's share measures the
   * direction it contributes, which is what the model gets from it.
   */
  stepScale?: number;
  /** Cosine above which an update counts as a copy of an earlier one (default 0.999). */
  copyCosine?: number;
  /** Thresholds for synthetic consensus updates (ALIE and kin), or false to score them like any other. */
  consensus?: ConsensusOptions | false;
  signal?: AbortSignal;
}

export interface ScoreResult {
  baseLoss: number;
  /** In the order of `updates`. */
  scores: UpdateScore[];
}

/** Arrival, then digest, then node key: who counts as first when two updates are the same. */
function firstComesFirst(a: ScoreInput, b: ScoreInput): number {
  if (a.arrival !== b.arrival) return a.arrival - b.arrival;
  const [da, db] = [a.digest.toLowerCase(), b.digest.toLowerCase()];
  if (da !== db) return da < db ? -1 : 1;
  const [ka, kb] = [a.nodeKey.toLowerCase(), b.nodeKey.toLowerCase()];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function dotAndNorms(a: Float32Array, b: Float32Array): { dot: number; normA: number; normB: number } {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < a.length; k++) {
    dot += a[k] * b[k];
    aa += a[k] * a[k];
    bb += b[k] * b[k];
  }
  return { dot, normA: Math.sqrt(aa), normB: Math.sqrt(bb) };
}

function isNearCopy(a: Float32Array, b: Float32Array, threshold: number): boolean {
  const { dot, normA, normB } = dotAndNorms(a, b);
  // Zero updates point nowhere: they are worthless on their own, not copies of each other.
  return normA > 0 && normB > 0 && dot / (normA * normB) > threshold;
}

function checkInputs(options: ScoreOptions): { threshold: number; stepScale: number } {
  const threshold = options.copyCosine ?? 0.999;
  const stepScale = options.stepScale ?? 1 / Math.max(1, options.updates.length);
  if (!(Number.isFinite(stepScale) && stepScale > 0)) {
    throw new RewardsError(`stepScale ${stepScale} must be a positive number; leave it out for 1 / number of updates`, stepScale);
  }
  if (!(threshold > 0 && threshold <= 1)) {
    throw new RewardsError(`copyCosine ${threshold} must be in (0, 1]; the default 0.999 flags near-identical updates`, threshold);
  }
  const seen = new Set<string>();
  for (const update of options.updates) {
    if (update.delta.length !== options.params.length) {
      throw new RewardsError(
        `update of node ${update.nodeKey} has ${update.delta.length} values but the model has ${options.params.length}; score only validated updates`,
        update.delta.length,
      );
    }
    if (!Number.isFinite(update.arrival)) {
      throw new RewardsError(`update of node ${update.nodeKey} has arrival ${update.arrival}; pass its acceptance order`, update.arrival);
    }
    const key = update.nodeKey.toLowerCase();
    if (seen.has(key)) throw new RewardsError(`node ${update.nodeKey} has two updates in one round; keep only the first`, update.nodeKey);
    seen.add(key);
  }
  return { threshold, stepScale };
}

/** What is known of an update before any evaluation: why it earns nothing, if it does not. */
interface Classification {
  verdict: ScoreVerdict;
  copyOf: Hex | null;
  consensusCosine: number | null;
}

/**
 * Copies first (each against every update that came before it), then rejection by the rule, then
 * consensus among the distinct updates left, so a group of identical attackers cannot vouch for
 * each other and a copy of a rejected update is still a copy.
 */
function classify(updates: readonly ScoreInput[], copyCosine: number, consensus: ConsensusOptions | false): Map<ScoreInput, Classification> {
  const ordered = [...updates].sort(firstComesFirst);
  const copyOf = new Map<ScoreInput, Hex>();
  ordered.forEach((update, position) => {
    const original = ordered
      .slice(0, position)
      .find((earlier) => earlier.digest.toLowerCase() === update.digest.toLowerCase() || isNearCopy(earlier.delta, update.delta, copyCosine));
    if (original) copyOf.set(update, original.nodeKey);
  });
  const distinct = ordered.filter((update) => !copyOf.has(update));
  const flags =
    consensus === false
      ? null
      : flagConsensusUpdates(
          distinct.map((update) => update.delta),
          consensus,
        );
  const result = new Map<ScoreInput, Classification>();
  for (const [update, original] of copyOf) result.set(update, { verdict: 'copy', copyOf: original, consensusCosine: null });
  distinct.forEach((update, i) => {
    const verdict = update.selected === false ? 'rejected' : flags?.flagged[i] ? 'consensus' : 'scored';
    result.set(update, { verdict, copyOf: null, consensusCosine: flags?.cosines[i] ?? null });
  });
  return result;
}

/**
 * Scores each accepted update by the loss reduction it gives on its own: loss(params) −
 * loss(params + stepScale · delta) on the validation batch, in fixed-point points, floored at 0, so zero, random and
 * sign-flipped updates earn nothing; updates the aggregation rule rejected score 0 too. A copy —
 * the same payload digest as an update that came first, or a cosine above `copyCosine` to one —
 * scores 0; "first" is the earlier arrival, then the lower digest. So does a synthetic consensus
 * update (far more aligned with the others' mean than independent training makes any update; see
 * consensus.ts), which would otherwise out-earn every honest peer, being close to their average.
 * Only 'scored' updates are evaluated, one after another, in input order.
 */
export async function scoreUpdates(options: ScoreOptions): Promise<ScoreResult> {
  const { threshold, stepScale } = checkInputs(options);
  const { params, updates, evaluateLoss, signal } = options;
  signal?.throwIfAborted();
  const baseLoss = await evaluateLoss(params);
  const basePoints = lossPoints(baseLoss);
  if (basePoints === null) {
    throw new RewardsError(`the base model's validation loss is ${baseLoss}; updates cannot be scored against it`, baseLoss);
  }
  const classes = classify(updates, threshold, options.consensus ?? CONSENSUS_DEFAULTS);
  const scores: UpdateScore[] = [];
  for (const update of updates) {
    const { nodeKey, digest } = update;
    const classification = classes.get(update)!;
    if (classification.verdict !== 'scored') {
      scores.push({ nodeKey, digest, points: 0n, score: 0, loss: null, ...classification });
      continue;
    }
    signal?.throwIfAborted();
    const candidate = new Float32Array(params.length);
    let finite = true;
    for (let k = 0; k < params.length; k++) {
      candidate[k] = params[k] + stepScale * update.delta[k];
      finite &&= Number.isFinite(candidate[k]);
    }
    // A step that overflows float32 is no model at all: it scores 0 unevaluated (an evaluator would refuse it, and the round with it).
    const loss = finite ? await evaluateLoss(candidate) : Number.POSITIVE_INFINITY;
    const candidatePoints = lossPoints(loss);
    const reduction = candidatePoints === null ? 0n : basePoints - candidatePoints;
    const points = reduction > 0n ? reduction : 0n;
    scores.push({ nodeKey, digest, points, score: pointsAsLoss(points), loss, ...classification });
  }
  return { baseLoss, scores };
}
