/**
 * From accepted updates to claimable tokens: score each update by the validation loss it removes
 * on its own, split the round's budget by score under a per-node cap with exact bigint arithmetic,
 * keep cumulative figures per owner, and commit them as a StandardMerkleTree root with proofs.
 *
 * A round, as the coordinator runs it:
 *   scoreUpdates({ params: parent, updates: [{ nodeKey, digest, delta, arrival, selected }], evaluateLoss })
 *     (selected = the aggregation stats' `selected` for that update)
 *   → allocateRewards(scores.map(s => ({ key: s.nodeKey, score: s.score })), budgetWei, capPerNodeWei)
 *   → accumulateRewards(previous, [{ owner: ownerOf(nodeKey), reward, samples, counted: score > 0 }])
 *   → rewardsRoot(cumulative) into commitRound; buildRewardsTree + rewardProof for the API.
 */
export { allocateRewards, type RewardAllocation, type RewardShare } from './allocate.ts';
export { accumulateRewards, ownerKey, type CumulativeEntry, type CumulativeRewards, type RoundContribution } from './cumulative.ts';
export { RewardsError } from './errors.ts';
export { CONSENSUS_DEFAULTS, CONSENSUS_MIN_UPDATES, cosinesToOthers, flagConsensusUpdates, type ConsensusOptions } from './consensus.ts';
export { scoreUpdates, type ScoreInput, type ScoreOptions, type ScoreResult, type ScoreVerdict, type UpdateScore } from './score.ts';
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
