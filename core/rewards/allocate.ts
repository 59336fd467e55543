import { RewardsError } from './errors.ts';

export interface RewardShare {
  /** Whatever identifies the earner (a node key or an owner address); unique within one call. */
  key: string;
  /** Fixed point (see scoreUpdates' `points`): the split is exact integer arithmetic on it. */
  points: bigint;
}

export interface RewardAllocation {
  /** One entry per input share, in input order. */
  rewards: { key: string; reward: bigint }[];
  allocated: bigint;
  /** What no one could take: no positive scores, or every scorer at the cap. */
  unallocated: bigint;
}

function checkShares(shares: readonly RewardShare[], budgetWei: bigint, capWei: bigint): void {
  if (budgetWei < 0n) throw new RewardsError(`reward budget ${budgetWei} wei is negative`, budgetWei);
  if (capWei < 0n) throw new RewardsError(`cap per earner ${capWei} wei is negative`, capWei);
  const keys = new Set<string>();
  for (const share of shares) {
    if (typeof share.points !== 'bigint' || share.points < 0n) {
      throw new RewardsError(`score ${String(share.points)} of ${share.key} must be a bigint ≥ 0 (fixed point: see scoreUpdates)`, share.points);
    }
    if (keys.has(share.key)) throw new RewardsError(`${share.key} appears twice; merge its scores first`, share.key);
    keys.add(share.key);
  }
}

/**
 * Splits `budgetWei` in proportion to score, no earner above `capWei`: capped earners take
 * the cap and the rest is re-split among the others until no new earner hits it. Each split
 * floors, then hands the leftover wei one each to the largest remainders (ties to the earlier
 * input), so the total never exceeds the budget and the same inputs always give the same wei.
 */
export function allocateRewards(shares: readonly RewardShare[], budgetWei: bigint, capWei: bigint): RewardAllocation {
  checkShares(shares, budgetWei, capWei);
  const weights = shares.map((share) => share.points);
  const rewards = shares.map(() => 0n);
  const capped = shares.map(() => false);
  let remaining = budgetWei;

  for (;;) {
    const open = weights.flatMap((weight, i) => (weight > 0n && !capped[i] ? [i] : []));
    const totalWeight = open.reduce((sum, i) => sum + weights[i], 0n);
    if (open.length === 0 || remaining === 0n) break;
    const overCap = open.filter((i) => remaining * weights[i] > capWei * totalWeight);
    if (overCap.length > 0) {
      // Cap these first, then split what is left among the rest in the next pass.
      for (const i of overCap) {
        rewards[i] = capWei;
        capped[i] = true;
        remaining -= capWei;
      }
      continue;
    }
    const exact = open.map((i) => ({ i, floor: (remaining * weights[i]) / totalWeight, rest: (remaining * weights[i]) % totalWeight }));
    let leftover = remaining - exact.reduce((sum, part) => sum + part.floor, 0n);
    for (const part of exact) rewards[part.i] = part.floor;
    const byRemainder = [...exact].sort((a, b) => (a.rest === b.rest ? a.i - b.i : a.rest > b.rest ? -1 : 1));
    for (const part of byRemainder) {
      if (leftover === 0n) break;
      if (rewards[part.i] < capWei) {
        rewards[part.i] += 1n;
        leftover -= 1n;
      }
    }
    remaining = leftover;
    break;
  }

  const allocated = rewards.reduce((sum, reward) => sum + reward, 0n);
  return { rewards: shares.map((share, i) => ({ key: share.key, reward: rewards[i] })), allocated, unallocated: budgetWei - allocated };
}
