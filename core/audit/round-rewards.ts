import { keccak256, type Hex } from 'viem';
import { z } from 'zod';
import type { Dataset } from '../ml/index.ts';
import { accumulateRewards, payRound, rewardsRoot, type CumulativeRewards, type RoundPayout } from '../rewards/index.ts';
import { AuditConfigError } from './errors.ts';

/** Bytes of one validation image (MNIST: 28 × 28, one byte a pixel). */
const IMAGE_BYTES = 28 * 28;

/**
 * How a round's rewards were scored and split. The coordinator records it in the checkpoint's
 * `meta.scoring` (covered by the model hash), so an auditor scores on the same batch with the same
 * budget and cap, and knows when it cannot reproduce the losses bit for bit (another batch or
 * another tfjs backend) and must not judge the rewards root.
 */
export interface RoundScoring {
  /** The first `scoreBatch` examples of the validation split are the scoring batch. */
  scoreBatch: number;
  budgetWei: bigint;
  /** Largest share of the budget one owner may take (payRound's capShare). */
  capShare: number;
  /** `validationFingerprint` of the scoring batch. */
  validation: Hex;
  /** The tfjs backend the losses were evaluated on: different backends give different bits. */
  backend: string;
}

const scoringMetaSchema = z
  .object({
    scoreBatch: z.number().int().positive(),
    budgetWei: z.string().regex(/^\d+$/),
    capShare: z.number().gt(0).max(1),
    validation: z.string().regex(/^0x[0-9a-f]{64}$/),
    backend: z.string().min(1).max(32),
  })
  .strict();

/** `scoring` as JSON for checkpoint meta (the budget as a decimal string). */
export function scoringMeta(scoring: RoundScoring): z.output<typeof scoringMetaSchema> {
  return { ...scoring, budgetWei: scoring.budgetWei.toString(), validation: scoring.validation.toLowerCase() };
}

/** The scoring a checkpoint records, or undefined when it records none (it was produced without rewards). */
export function checkpointScoring(meta: Record<string, unknown>): RoundScoring | undefined {
  if (meta.scoring === undefined) return undefined;
  const parsed = scoringMetaSchema.safeParse(meta.scoring);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AuditConfigError(`checkpoint scoring setting "${issue.path.join('.') || '(root)'}": ${issue.message}`, meta.scoring);
  }
  return { ...parsed.data, budgetWei: BigInt(parsed.data.budgetWei), validation: parsed.data.validation as Hex };
}

/** keccak256 of the first `limit` examples of `data` (pixels, then labels): names a scoring batch. */
export function validationFingerprint(data: Dataset, limit: number): Hex {
  const examples = Math.min(limit, data.size);
  const bytes = new Uint8Array(examples * (IMAGE_BYTES + 1));
  bytes.set(data.images.subarray(0, examples * IMAGE_BYTES));
  bytes.set(data.labels.subarray(0, examples), examples * IMAGE_BYTES);
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
  /** Loss on the scoring batch; must be deterministic. */
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
  const byOwner = new Map<string, OwnerReward>();
  input.updates.forEach((update, index) => {
    if (update.owner === null) return;
    const score = payout.scores[index];
    const counted = score.score > 0;
    const key = update.owner.toLowerCase();
    const entry = byOwner.get(key) ?? { owner: update.owner, amount: 0n, samples: 0, counted: false, score: 0 };
    byOwner.set(key, {
      owner: entry.owner,
      amount: entry.amount + payout.rewards[index],
      samples: entry.samples + (counted ? update.samples : 0),
      counted: entry.counted || counted,
      score: entry.score + score.score,
    });
  });
  const rewards = [...byOwner.values()].sort((a, b) => (a.owner.toLowerCase() < b.owner.toLowerCase() ? -1 : 1));
  const cumulative = accumulateRewards(
    input.previous,
    rewards.map((reward) => ({ owner: reward.owner, reward: reward.amount, samples: reward.samples, counted: reward.counted })),
  );
  return { payout, rewards, rewardBudget: rewards.reduce((sum, reward) => sum + reward.amount, 0n), cumulative, rewardsRoot: rewardsRoot(cumulative) };
}
