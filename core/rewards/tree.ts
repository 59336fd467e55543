import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import type { Address, Hex } from 'viem';
import type { CumulativeRewards } from './cumulative.ts';
import { ownerKey } from './cumulative.ts';

/** The leaf encoding RewardVault checks: (owner, cumulative reward wei, cumulative samples, cumulative rounds). */
export const REWARD_LEAF_ENCODING = ['address', 'uint256', 'uint256', 'uint256'] as const;

/** Amounts as decimal strings, so `tree.dump()` is plain JSON the coordinator can store and `load` again. */
export type RewardLeaf = [Address, string, string, string];
export type RewardsTree = StandardMerkleTree<RewardLeaf>;

/** The root committed for a round with no rewarded owner yet: no claim can prove against it. */
export const EMPTY_REWARDS_ROOT: Hex = `0x${'00'.repeat(32)}`;

/**
 * The round's rewards tree: one leaf per owner with its cumulative figures, as a StandardMerkleTree
 * (double-hashed, sorted leaves, so the root does not depend on map order). Null when there is no
 * owner yet; commit EMPTY_REWARDS_ROOT then.
 */
export function buildRewardsTree(cumulative: CumulativeRewards): RewardsTree | null {
  if (cumulative.size === 0) return null;
  const leaves: RewardLeaf[] = [...cumulative].map(([owner, entry]) => [
    ownerKey(owner),
    entry.reward.toString(),
    entry.samples.toString(),
    entry.rounds.toString(),
  ]);
  leaves.sort((a, b) => (a[0].toLowerCase() < b[0].toLowerCase() ? -1 : 1));
  return StandardMerkleTree.of(leaves, [...REWARD_LEAF_ENCODING]);
}

/** The root to commit for these cumulative figures. */
export function rewardsRoot(cumulative: CumulativeRewards): Hex {
  return (buildRewardsTree(cumulative)?.root as Hex | undefined) ?? EMPTY_REWARDS_ROOT;
}

/** Everything RewardVault.claim needs for one owner, or null when the tree has no leaf for it. */
export interface RewardProof {
  owner: Address;
  cumulativeReward: bigint;
  cumulativeSamples: bigint;
  cumulativeRounds: bigint;
  proof: Hex[];
}

export function rewardProof(tree: RewardsTree, owner: string): RewardProof | null {
  const wanted = ownerKey(owner);
  for (const [index, leaf] of tree.entries()) {
    if (leaf[0].toLowerCase() !== wanted.toLowerCase()) continue;
    return {
      owner: wanted,
      cumulativeReward: BigInt(leaf[1]),
      cumulativeSamples: BigInt(leaf[2]),
      cumulativeRounds: BigInt(leaf[3]),
      proof: tree.getProof(index) as Hex[],
    };
  }
  return null;
}

/** Checks a proof against a committed root, as RewardVault will. */
export function verifyRewardProof(root: Hex, proof: RewardProof): boolean {
  return StandardMerkleTree.verify(
    root,
    [...REWARD_LEAF_ENCODING],
    [proof.owner, proof.cumulativeReward, proof.cumulativeSamples, proof.cumulativeRounds],
    proof.proof,
  );
}
