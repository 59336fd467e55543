// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRoundLedger
/// @notice The chain of model checkpoints, one per training round. Round 0 is the genesis model
///         fixed at deployment; round r names round r-1's model hash as its parent.
/// @dev Storage holds two words per round (model hash and rewards root, which claims and the
///      checkpoint chain need); every other field lives in the `RoundCommitted` event. That keeps
///      `commitRound` cost constant whatever the number of contributors.
interface IRoundLedger {
    /// @notice What the coordinator commits for a round.
    /// @param roundId Must be `roundCount() + 1`.
    /// @param modelHash keccak256 of the new model's canonical encoding; non-zero.
    /// @param parentHash Must equal `latestModelHash()`.
    /// @param updatesRoot Merkle root of the accepted updates' digests.
    /// @param rewardsRoot Root of the cumulative rewards tree (owner, reward, samples, rounds).
    /// @param contributors Number of accepted updates.
    /// @param totalSamples Training samples behind the accepted updates.
    /// @param loss Held-out loss of the new model, fixed point 1e6.
    /// @param accuracy Held-out accuracy of the new model, fixed point 1e6 (at most 1e6).
    /// @param rewardBudget Tokens (wei) the round adds to the cumulative rewards.
    struct RoundRecord {
        uint256 roundId;
        bytes32 modelHash;
        bytes32 parentHash;
        bytes32 updatesRoot;
        bytes32 rewardsRoot;
        uint32 contributors;
        uint64 totalSamples;
        uint64 loss;
        uint32 accuracy;
        uint128 rewardBudget;
    }

    /// @notice What storage keeps of a round.
    /// @param modelHash The round's model hash.
    /// @param parentHash The previous round's model hash (zero for the genesis round 0).
    /// @param rewardsRoot The round's cumulative rewards root (zero for round 0).
    struct StoredRound {
        bytes32 modelHash;
        bytes32 parentHash;
        bytes32 rewardsRoot;
    }

    /// @notice Emitted once per committed round with every field of its record.
    /// @param roundId The round.
    /// @param modelHash The new model hash.
    /// @param parentHash The previous model hash.
    /// @param updatesRoot Root of the accepted updates.
    /// @param rewardsRoot Root of the cumulative rewards tree.
    /// @param contributors Accepted updates.
    /// @param totalSamples Samples behind them.
    /// @param loss Held-out loss, fixed point 1e6.
    /// @param accuracy Held-out accuracy, fixed point 1e6.
    /// @param rewardBudget Tokens added to the cumulative rewards.
    /// @param committedAt Block time of the commit.
    event RoundCommitted(
        uint256 indexed roundId,
        bytes32 indexed modelHash,
        bytes32 parentHash,
        bytes32 updatesRoot,
        bytes32 rewardsRoot,
        uint32 contributors,
        uint64 totalSamples,
        uint64 loss,
        uint32 accuracy,
        uint128 rewardBudget,
        uint64 committedAt
    );

    /// @notice A zero address was given where a real account is needed.
    /// @param what Which parameter was zero.
    error ZeroAddress(string what);
    /// @notice The genesis model hash is zero.
    error ZeroGenesisHash();
    /// @notice The round id is not the next one.
    /// @param roundId The id given.
    /// @param expected `roundCount() + 1`.
    error NonSequentialRound(uint256 roundId, uint256 expected);
    /// @notice The parent hash is not the latest model hash.
    /// @param roundId The round.
    /// @param parentHash The parent given.
    /// @param expected `latestModelHash()`.
    error ParentHashMismatch(uint256 roundId, bytes32 parentHash, bytes32 expected);
    /// @notice The model hash is zero.
    /// @param roundId The round.
    error ZeroModelHash(uint256 roundId);
    /// @notice Accuracy above 1e6 (100%).
    /// @param roundId The round.
    /// @param accuracy The value given.
    error AccuracyOutOfRange(uint256 roundId, uint32 accuracy);
    /// @notice The round's budget exceeds the per-round maximum fixed at deployment.
    /// @param roundId The round.
    /// @param rewardBudget The budget given.
    /// @param maxRewardBudget The maximum.
    error RewardBudgetTooLarge(uint256 roundId, uint256 rewardBudget, uint256 maxRewardBudget);
    /// @notice The running total of reward budgets would no longer fit 128 bits.
    /// @param roundId The round.
    /// @param total The total it would reach.
    error TotalRewardBudgetOverflow(uint256 roundId, uint256 total);
    /// @notice No round with this id has been committed.
    /// @param roundId The id asked for.
    /// @param roundCount Rounds committed so far.
    error UnknownRound(uint256 roundId, uint256 roundCount);

    /// @notice Commits the next round; COORDINATOR_ROLE only.
    /// @param record The round's record.
    function commitRound(RoundRecord calldata record) external;
    /// @notice Rounds committed so far (the latest round id).
    /// @return The count.
    function roundCount() external view returns (uint256);
    /// @notice The stored part of round `roundId` (0 is the genesis); the rest is in its event.
    /// @param roundId A committed round id or 0.
    /// @return The stored round.
    function getRound(uint256 roundId) external view returns (StoredRound memory);
    /// @notice The model hash of the latest round (the genesis hash before round 1).
    /// @return The hash.
    function latestModelHash() external view returns (bytes32);
    /// @notice The rewards root of a round; zero when the round is not committed.
    /// @param roundId The round.
    /// @return The root.
    function rewardsRootOf(uint256 roundId) external view returns (bytes32);
    /// @notice The block the ledger was deployed in (where searches for its events start).
    /// @return The block number.
    function deployedAtBlock() external view returns (uint256);
    /// @notice Sum of the reward budgets of all committed rounds.
    /// @return Tokens (wei).
    function totalRewardBudget() external view returns (uint256);
}
