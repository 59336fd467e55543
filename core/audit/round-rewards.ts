import { keccak256, type Hex } from 'viem';
import { z } from 'zod';
import { REFERENCE_EVALUATOR, referenceLoss, type Dataset, type ModelSpecLike } from '../ml/index.ts';
import { accumulateRewards, payRound, pointsAsLoss, rewardsRoot, type CumulativeRewards, type RoundPayout } from '../rewards/index.ts';
import { AuditConfigError } from './errors.ts';

/** The loss evaluators this build scores with, by the id checkpoints record; the first is the one a coordinator uses. */
export const SCORING_EVALUATORS: readonly string[] = [REFERENCE_EVALUATOR];

/**
 * Rounds scored before the reference evaluator existed recorded the tfjs backend (`backend`)
 * instead; they read back as evaluator `tfjs/<backend>`, which no build implements (their losses
 * depend on the host), and are written back exactly as recorded, so their model hash replays.
 */
const LEGACY_BACKEND_PREFIX = 'tfjs/';

/**
 * How a round's rewards were scored and split. The coordinator records it in the checkpoint's
 * `meta.scoring` (covered by the model hash), so an auditor scores on the same batch with the same
 * evaluator, budget and cap, and knows when it cannot reproduce the losses bit for bit (another
 * batch, or an evaluator it does not implement) and must not judge the rewards root.
 */
export interface RoundScoring {
  /** The first `scoreBatch` examples of the validation split are the scoring batch. */
  scoreBatch: number;
  budgetWei: bigint;
  /** Largest share of the budget one owner may take (payRound's capShare). */
  capShare: number;
  /** `validationFingerprint` of the scoring batch. */
  validation: Hex;
  /** What computed the losses (SCORING_EVALUATORS): its id names the arithmetic, bit for bit. */
  evaluator: string;
}

const scoringMetaSchema = z
  .object({
    scoreBatch: z.number().int().positive(),
    budgetWei: z.string().regex(/^\d+$/),
    capShare: z.number().gt(0).max(1),
    validation: z.string().regex(/^0x[0-9a-f]{64}$/),
    evaluator: z.string().min(1).max(32).optional(),
    backend: z.string().min(1).max(32).optional(),
  })
  .strict()
  .refine((meta) => (meta.evaluator === undefined) !== (meta.backend === undefined), { message: 'needs exactly one of evaluator (or, in older rounds, backend)' });

/** `scoring` as JSON for checkpoint meta (the budget as a decimal string). */
export function scoringMeta(scoring: RoundScoring): z.output<typeof scoringMetaSchema> {
  const { evaluator, ...rest } = scoring;
  const recorded = evaluator.startsWith(LEGACY_BACKEND_PREFIX) ? { backend: evaluator.slice(LEGACY_BACKEND_PREFIX.length) } : { evaluator };
  return { ...rest, ...recorded, budgetWei: scoring.budgetWei.toString(), validation: scoring.validation.toLowerCase() };
}

/** The scoring a checkpoint records, or undefined when it records none (it was produced without rewards). */
export function checkpointScoring(meta: Record<string, unknown>): RoundScoring | undefined {
  if (meta.scoring === undefined) return undefined;
  const parsed = scoringMetaSchema.safeParse(meta.scoring);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AuditConfigError(`checkpoint scoring setting "${issue.path.join('.') || '(root)'}": ${issue.message}`, meta.scoring);
  }
  const { backend, evaluator, ...rest } = parsed.data;
  return { ...rest, evaluator: evaluator ?? `${LEGACY_BACKEND_PREFIX}${backend}`, budgetWei: BigInt(rest.budgetWei), validation: rest.validation as Hex };
}

/**
 * The scoring loss of a round: `scoring.evaluator`'s mean loss of model `model` (the checkpoint's
 * meta.model) on the first `scoring.scoreBatch` examples of `validation`. Refuses an evaluator
 * this build does not implement (check SCORING_EVALUATORS first to abstain instead).
 */
export function scoringLoss(scoring: RoundScoring, model: ModelSpecLike, validation: Dataset, signal?: AbortSignal): (params: Float32Array) => Promise<number> {
  if (scoring.evaluator !== REFERENCE_EVALUATOR) {
    throw new AuditConfigError(`the round was scored by evaluator "${scoring.evaluator}"; this build implements ${SCORING_EVALUATORS.join(', ')}: upgrade gradnet to score it`, scoring.evaluator);
  }
  return (params) => referenceLoss({ spec: model, params, data: validation, limit: scoring.scoreBatch, signal });
}

/**
 * keccak256 of the first `limit` examples of `data` (their bytes, then their labels): names a
 * scoring batch. Any input shape: the bytes per example come from the data.
 */
export function validationFingerprint(data: Dataset, limit: number): Hex {
  const examples = Math.min(limit, data.size);
  const bytesPerExample = data.size === 0 ? 0 : data.images.length / data.size;
  const bytes = new Uint8Array(examples * (bytesPerExample + 1));
  bytes.set(data.images.subarray(0, examples * bytesPerExample));
  bytes.set(data.labels.subarray(0, examples), examples * bytesPerExample);
  return keccak256(bytes);
}

/** An included update as scoring sees it. */
export interface SettleUpdate {
  nodeKey: Hex;
  /** The owner the registry binds the node key to; null: scored, paid nothing. */
  owner: Hex | null;
  /** EIP-712 digest. */
  digest: Hex;
  payloadDigest: Hex;
  delta: Float32Array;
  samples: number;
  /** Acceptance order (lower is earlier): of two equal payloads the earlier is the original. */
  arrival: number;
}

/** One owner's part in the round. */
export interface OwnerReward {
  owner: Hex;
  amount: bigint;
  /** Samples of its updates that scored above 0. */
  samples: number;
  /** Whether any of its updates scored above 0. */
  counted: boolean;
  /** The sum of its updates' scores (pointsAsLoss of their points; for display and storage). */
  score: number;
}

export interface SettledRound {
  payout: RoundPayout;
  /** Sorted by owner (lowercase hex). */
  rewards: OwnerReward[];
  rewardBudget: bigint;
  cumulative: CumulativeRewards;
  rewardsRoot: Hex;
}

/**
 * A round's rewards, as the coordinator commits them and auditors recompute them: payRound's
 * scores and per-owner split, folded into one row per owner, added to the cumulative figures of
 * the rounds before, and the cumulative rewards root. Both sides call this one function, so an
 * auditor holding the same inputs gets the same root bit for bit.
 */
export async function settleRound(input: {
  /** The parent model's parameters (what the updates were trained from). */
  params: Float32Array;
  updates: readonly SettleUpdate[];
  /** Digests the aggregation rule set aside (its stats' `rejected`). */
  setAside: readonly Hex[];
  /** Loss on the scoring batch (scoringLoss); must be deterministic bit for bit. */
  evaluateLoss: (params: Float32Array) => Promise<number>;
  budgetWei: bigint;
  capShare: number;
  /** Cumulative figures after the previous round. */
  previous: CumulativeRewards;
  signal?: AbortSignal;
}): Promise<SettledRound> {
  const payout = await payRound({
    params: input.params,
    updates: input.updates.map((update) => ({
      nodeKey: update.nodeKey,
      owner: update.owner,
      digest: update.digest,
      payloadDigest: update.payloadDigest,
      delta: update.delta,
      arrival: update.arrival,
    })),
    setAside: input.setAside,
    evaluateLoss: input.evaluateLoss,
    budgetWei: input.budgetWei,
    capShare: input.capShare,
    signal: input.signal,
  });
  const byOwner = new Map<string, Omit<OwnerReward, 'score'> & { points: bigint }>();
  input.updates.forEach((update, index) => {
    if (update.owner === null) return;
    const { points } = payout.scores[index];
    const counted = points > 0n;
    const key = update.owner.toLowerCase();
    const entry = byOwner.get(key) ?? { owner: update.owner, amount: 0n, samples: 0, counted: false, points: 0n };
    byOwner.set(key, {
      owner: entry.owner,
      amount: entry.amount + payout.rewards[index],
      samples: entry.samples + (counted ? update.samples : 0),
      counted: entry.counted || counted,
      points: entry.points + points,
    });
  });
  const rewards = [...byOwner.values()]
    .sort((a, b) => (a.owner.toLowerCase() < b.owner.toLowerCase() ? -1 : 1))
    .map(({ points, ...reward }) => ({ ...reward, score: pointsAsLoss(points) }));
  const cumulative = accumulateRewards(
    input.previous,
    rewards.map((reward) => ({ owner: reward.owner, reward: reward.amount, samples: reward.samples, counted: reward.counted })),
  );
  return { payout, rewards, rewardBudget: rewards.reduce((sum, reward) => sum + reward.amount, 0n), cumulative, rewardsRoot: rewardsRoot(cumulative) };
}
