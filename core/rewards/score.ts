import type { Hex } from 'viem';
import { RewardsError } from './errors.ts';

/** An accepted update to score; `arrival` orders who was first (lower = earlier). */
export interface ScoreInput {
  nodeKey: Hex;
  /** Payload digest: two updates with the same one are the same payload. */
  digest: Hex;
  delta: Float32Array;
  arrival: number;
}

export interface UpdateScore {
  nodeKey: Hex;
  digest: Hex;
  /** max(0, loss(base) − loss(base + delta)); 0 for copies and for non-finite losses. */
  score: number;
  /** loss(base + delta), or null when it was not evaluated (a copy). */
  loss: number | null;
  /** The node whose earlier update this one copies, or null. */
  copyOf: Hex | null;
}

export interface ScoreOptions {
  /** The model the updates were trained from. */
  params: Float32Array;
  updates: readonly ScoreInput[];
  /** Validation loss of a parameter vector on the round's scoring batch; must be deterministic. */
  evaluateLoss: (params: Float32Array) => Promise<number>;
  /** Cosine above which an update counts as a copy of an earlier one (default 0.999). */
  copyCosine?: number;
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

function checkInputs(options: ScoreOptions): number {
  const threshold = options.copyCosine ?? 0.999;
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
  return threshold;
}

/**
 * Scores each accepted update by the loss reduction it gives on its own: loss(params) −
 * loss(params + delta) on the validation batch, floored at 0, so zero, random and sign-flipped
 * updates earn nothing. A copy — the same payload digest as an update that came first, or a
 * cosine above `copyCosine` to one — scores 0 and is not evaluated; "first" is the earlier
 * arrival, then the lower digest. Evaluations run one after another, in input order.
 */
export async function scoreUpdates(options: ScoreOptions): Promise<ScoreResult> {
  const threshold = checkInputs(options);
  const { params, updates, evaluateLoss, signal } = options;
  signal?.throwIfAborted();
  const baseLoss = await evaluateLoss(params);
  if (!Number.isFinite(baseLoss)) {
    throw new RewardsError(`the base model's validation loss is ${baseLoss}; updates cannot be scored against it`, baseLoss);
  }

  const ordered = [...updates].sort(firstComesFirst);
  const copyOf = new Map<ScoreInput, Hex>();
  ordered.forEach((update, position) => {
    const original = ordered
      .slice(0, position)
      .find((earlier) => earlier.digest.toLowerCase() === update.digest.toLowerCase() || isNearCopy(earlier.delta, update.delta, threshold));
    if (original) copyOf.set(update, original.nodeKey);
  });

  const scores: UpdateScore[] = [];
  for (const update of updates) {
    const copied = copyOf.get(update) ?? null;
    if (copied !== null) {
      scores.push({ nodeKey: update.nodeKey, digest: update.digest, score: 0, loss: null, copyOf: copied });
      continue;
    }
    signal?.throwIfAborted();
    const candidate = new Float32Array(params.length);
    for (let k = 0; k < params.length; k++) candidate[k] = params[k] + update.delta[k];
    const loss = await evaluateLoss(candidate);
    const reduction = Number.isFinite(loss) ? baseLoss - loss : 0;
    scores.push({ nodeKey: update.nodeKey, digest: update.digest, score: reduction > 0 ? reduction : 0, loss, copyOf: null });
  }
  return { baseLoss, scores };
}
