import { getAddress, isAddress, type Address } from 'viem';
import { RewardsError } from './errors.ts';

/** What an owner has earned and contributed over all committed rounds so far. */
export interface CumulativeEntry {
  reward: bigint;
  samples: bigint;
  rounds: bigint;
}

/** Cumulative figures by owner (checksummed address). Never mutated: each round makes a new one. */
export type CumulativeRewards = ReadonlyMap<Address, CumulativeEntry>;

/** One node's part in a round, already mapped to its owner. */
export interface RoundContribution {
  owner: Address;
  reward: bigint;
  /** Training samples of the update; counted only when `counted`. */
  samples: number | bigint;
  /** Whether the update earned a positive score: free riders and copies add neither samples nor rounds. */
  counted: boolean;
}

export function ownerKey(owner: string): Address {
  if (!isAddress(owner, { strict: false })) throw new RewardsError(`owner ${JSON.stringify(owner)} is not an address`, owner);
  return getAddress(owner);
}

/**
 * Adds one round to the cumulative figures: rewards always, samples for counted contributions, and
 * one round per owner that had at least one counted contribution (however many nodes it runs).
 */
export function accumulateRewards(previous: CumulativeRewards, round: readonly RoundContribution[]): Map<Address, CumulativeEntry> {
  const next = new Map(previous);
  const countedOwners = new Set<Address>();
  for (const contribution of round) {
    const owner = ownerKey(contribution.owner);
    if (contribution.reward < 0n) throw new RewardsError(`reward ${contribution.reward} for ${owner} is negative`, contribution.reward);
    const samples = BigInt(contribution.samples);
    if (samples < 0n) throw new RewardsError(`sample count ${samples} for ${owner} is negative`, contribution.samples);
    const entry = next.get(owner) ?? { reward: 0n, samples: 0n, rounds: 0n };
    next.set(owner, {
      reward: entry.reward + contribution.reward,
      samples: entry.samples + (contribution.counted ? samples : 0n),
      rounds: entry.rounds,
    });
    if (contribution.counted) countedOwners.add(owner);
  }
  for (const owner of countedOwners) {
    const entry = next.get(owner)!;
    next.set(owner, { ...entry, rounds: entry.rounds + 1n });
  }
  return next;
}
