import type { Hex } from 'viem';
import { scaleByFraction } from '../units/index.ts';
import { allocateRewards } from './allocate.ts';
import { scoreUpdates, type UpdateScore } from './score.ts';

/** An accepted update of the round, as the round transition saw it. */
export interface PayoutUpdate {
  nodeKey: Hex;
  /** The EIP-712 digest: how the aggregation stats name the update. */
  digest: Hex;
  /** The payload's digest: two updates with the same one carry the same payload (a copy). */
  payloadDigest: Hex;
  delta: Float32Array;
  /** Acceptance order: of two equal payloads, the earlier one is the original. */
  arrival: number;
}

export interface PayoutOptions {
  /** The model the updates were trained from. */
  params: Float32Array;
  updates: readonly PayoutUpdate[];
  /** EIP-712 digests of the updates the aggregation rule set aside (its stats' `rejected`). */
  setAside: readonly Hex[];
  /** Validation loss of a parameter vector on the held-out scoring batch; must be deterministic. */
  evaluateLoss: (params: Float32Array) => Promise<number>;
  budgetWei: bigint;
  /**
   * Largest share of the budget one earner may take, in (0, 1]. Earners are node keys; the node
   * registry binds one node per owner, so this caps each owner.
   */
  capShare: number;
  signal?: AbortSignal;
}

export interface RoundPayout {
  /** Validation loss of `params` on the scoring batch. */
  baseLoss: number;
  /** In the order of `updates`. */
  scores: UpdateScore[];
  /** Wei each update earns, in the order of `updates`. */
  rewards: bigint[];
  /** What no one could take: no positive scores, or every scorer at the cap. */
  unallocated: bigint;
}

/**
 * The round's scoring and payout, as the coordinator commits it and bench/sim simulates it:
 * each accepted update is scored by the loss its share removes on the held-out batch (see
 * scoreUpdates: copies, synthetic consensus updates and updates the rule set aside earn nothing),
 * then the budget is split by score in exact wei under the cap (taken to fixed point first).
 * Deterministic for a deterministic `evaluateLoss`, so an auditor can recompute the rewards root.
 */
export async function payRound(options: PayoutOptions): Promise<RoundPayout> {
  const setAside = new Set(options.setAside.map((digest) => digest.toLowerCase()));
  const { baseLoss, scores } = await scoreUpdates({
    params: options.params,
    updates: options.updates.map((update) => ({
      nodeKey: update.nodeKey,
      digest: update.payloadDigest,
      delta: update.delta,
      arrival: update.arrival,
      // An update the rule set aside did not shape the model: it earns nothing.
      selected: !setAside.has(update.digest.toLowerCase()),
    })),
    evaluateLoss: options.evaluateLoss,
    signal: options.signal,
  });
  const allocation = allocateRewards(
    scores.map((score) => ({ key: score.nodeKey.toLowerCase(), score: score.score })),
    options.budgetWei,
    scaleByFraction(options.budgetWei, options.capShare),
  );
  return { baseLoss, scores, rewards: allocation.rewards.map((entry) => entry.reward), unallocated: allocation.unallocated };
}
