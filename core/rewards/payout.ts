import type { Hex } from 'viem';
import { scaleByFraction } from '../units/index.ts';
import { allocateRewards } from './allocate.ts';
import { scoreUpdates, type UpdateScore } from './score.ts';

/** An accepted update of the round, as the round transition saw it. */
export interface PayoutUpdate {
  nodeKey: Hex;
  /**
   * The owner wallet the registry binds the node key to: the earner the cap applies to, so all the
   * nodes of one owner share one cap. Null when no owner is known (the key left the registry): the
   * update is still scored, but earns nothing and its share goes to the others.
   */
  owner: Hex | null;
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
   * Largest share of the budget one owner may take, in (0, 1], over all its updates together:
   * running K node keys earns no more than running one (Sybils gain nothing).
   */
  capShare: number;
  signal?: AbortSignal;
}

export interface RoundPayout {
  /** Validation loss of `params` on the scoring batch. */
  baseLoss: number;
  /** In the order of `updates`. */
  scores: UpdateScore[];
  /** Wei each update earns, in the order of `updates`; an owner's updates share its allocation by score. */
  rewards: bigint[];
  /** What no one could take: no positive scores, or every scorer at the cap. */
  unallocated: bigint;
}

/**
 * The round's scoring and payout, as the coordinator commits it and bench/sim simulates it:
 * each accepted update is scored by the loss its share removes on the held-out batch (see
 * scoreUpdates: copies, synthetic consensus updates and updates the rule set aside earn nothing),
 * then the budget is split in exact wei among owners by the sum of their updates' points, under
 * the cap (taken to fixed point first), and each owner's part among its updates by score.
 * Deterministic for a deterministic `evaluateLoss` and the same owners, so an auditor can
 * recompute the rewards root.
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
  const rewards = splitByOwner(options.updates, scores, options.budgetWei, scaleByFraction(options.budgetWei, options.capShare));
  return { baseLoss, scores, rewards: rewards.perUpdate, unallocated: rewards.unallocated };
}

/**
 * The cap applies to owners: allocate among owners (scores summed, in order of first appearance),
 * then split each owner's allocation among its own updates by score (no cap inside one owner, so
 * all of it is handed out). Updates without an owner take no part.
 */
function splitByOwner(
  updates: readonly PayoutUpdate[],
  scores: readonly UpdateScore[],
  budgetWei: bigint,
  capWei: bigint,
): { perUpdate: bigint[]; unallocated: bigint } {
  const byOwner = new Map<string, number[]>();
  updates.forEach((update, index) => {
    if (update.owner === null) return;
    const owner = update.owner.toLowerCase();
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), index]);
  });
  const owners = [...byOwner];
  const allocation = allocateRewards(
    owners.map(([owner, indices]) => ({ key: owner, points: indices.reduce((sum, index) => sum + scores[index].points, 0n) })),
    budgetWei,
    capWei,
  );
  const perUpdate = updates.map(() => 0n);
  owners.forEach(([, indices], position) => {
    const ownerWei = allocation.rewards[position].reward;
    const split = allocateRewards(
      indices.map((index) => ({ key: String(index), points: scores[index].points })),
      ownerWei,
      ownerWei,
    );
    indices.forEach((index, i) => (perUpdate[index] = split.rewards[i].reward));
  });
  return { perUpdate, unallocated: allocation.unallocated };
}
