/**
 * From accepted updates to claimable tokens: score each update by the validation loss it removes
 * on its own, split the round's budget by score under a per-owner cap with exact bigint
 * arithmetic, keep cumulative figures per owner, and commit them as a StandardMerkleTree root with
 * proofs. The coordinator, auditors and bench/sim run the same policy.
 *
 * A round:
 *   payRound({ params: parent, updates: [{ nodeKey, owner: ownerOf(nodeKey), digest, payloadDigest, delta, arrival }],
 *              setAside: the aggregation stats' `rejected`, evaluateLoss, budgetWei, capShare })
 *     (scoreUpdates in fixed-point points, then allocateRewards among owners under the cap, then each owner's part among its updates)
 *   → accumulateRewards(previous, [{ owner, reward, samples, counted: score > 0 }])
 *   → rewardsRoot(cumulative) into commitRound; buildRewardsTree + rewardProof for the API.
 */
export { allocateRewards, type RewardAllocation, type RewardShare } from './allocate.ts';
export { accumulateRewards, ownerKey, type CumulativeEntry, type CumulativeRewards, type RoundContribution } from './cumulative.ts';
export { RewardsError } from './errors.ts';
export { CONSENSUS_DEFAULTS, CONSENSUS_MIN_UPDATES, cosinesToOthers, flagConsensusUpdates, type ConsensusOptions } from './consensus.ts';
export { payRound, type PayoutOptions, type PayoutUpdate, type RoundPayout } from './payout.ts';
export { POINTS_PER_LOSS_UNIT, lossPoints, pointsAsLoss, scoreUpdates, type ScoreInput, type ScoreOptions, type ScoreResult, type ScoreVerdict, type UpdateScore } from './score.ts';
export {
  EMPTY_REWARDS_ROOT,
  REWARD_LEAF_ENCODING,
  buildRewardsTree,
  rewardProof,
  rewardsRoot,
  verifyRewardProof,
  type RewardLeaf,
  type RewardProof,
  type RewardsTree,
} from './tree.ts';
