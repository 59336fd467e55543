// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRoundLedger
/// @notice The chain of model checkpoints, one per training round. Round 0 is the genesis model
///         fixed at deployment; round r names round r-1's model hash as its parent.
///         Every committed round has a challenge window (`challengeWindow()` seconds from its commit):
///         until it passes the round is pending and the RoundChallenges contract may void it (and
///         every later round) on stake-weighted verdicts; after it the round is final, for good,
///         and its rewards claimable.
/// @dev Storage holds two words per round (model hash and rewards root, which claims and the
///      checkpoint chain need) plus one word of a ring of `MAX_PENDING_ROUNDS` entries, pre-filled
///      at deployment, that each commit rewrites (non-zero to non-zero) with the round's commit
///      time and cumulative budget; every other field lives in the `RoundCommitted` event. That
///      keeps `commitRound` cost constant whatever the number of contributors.
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

    /// @notice What the RewardVault needs to pay a claim under a round, read in one call.
    /// @param rewardsRoot The round's rewards root (zero when it has none).
    /// @param isFinal Whether the round is final (committed, its challenge window over, never voided).
    /// @param finalBudget When final: the cumulative reward budget of a final round at or after it,
    ///        which total claims may never exceed; zero otherwise.
    struct ClaimTerms {
        bytes32 rewardsRoot;
        bool isFinal;
        uint256 finalBudget;
    }

    /// @notice Emitted when a challenge voids rounds `fromRound`..`throughRound`; the head moves back to
    ///         round `fromRound - 1`, whose model hash is `restoredModelHash`, and the coordinator
    ///         commits `fromRound` again on top of it.
    /// @param fromRound The first voided round.
    /// @param throughRound The last voided round (the round count before the void).
    /// @param restoredModelHash The model hash the head moved back to.
    event RoundsVoided(uint256 indexed fromRound, uint256 throughRound, bytes32 restoredModelHash);
    /// @notice Emitted when COORDINATOR_ROLE moves to `coordinator` (the previous holder lost it).
    /// @param previous The previous coordinator (zero at deployment).
    /// @param coordinator The new coordinator.
    /// @param fromRound The first round the new coordinator commits; earlier rounds stay the previous one's.
    event CoordinatorChanged(address indexed previous, address indexed coordinator, uint256 fromRound);
    /// @notice Emitted once, when the admin names the RoundChallenges contract allowed to void rounds.
    /// @param challenges The contract.
    event ChallengesBound(address challenges);

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
    /// @notice The running total of reward budgets would no longer fit 88 bits (about 3.09e26 wei).
    /// @param roundId The round.
    /// @param total The total it would reach.
    error TotalRewardBudgetOverflow(uint256 roundId, uint256 total);
    /// @notice The ring of pending rounds is full: the round `MAX_PENDING_ROUNDS` before this one is not
    ///         final yet. Wait until `finalAt` and commit again.
    /// @param roundId The round being committed.
    /// @param pendingRound The oldest round still in its challenge window.
    /// @param finalAt When it becomes final (unix seconds).
    error TooManyPendingRounds(uint256 roundId, uint256 pendingRound, uint256 finalAt);
    /// @notice The round is final: it can no longer be voided.
    /// @param roundId The round.
    error RoundAlreadyFinal(uint256 roundId);
    /// @notice Only the RoundChallenges contract bound at deployment may void rounds.
    /// @param caller The caller.
    error NotChallenges(address caller);
    /// @notice The RoundChallenges contract is bound once and for good.
    /// @param challenges The contract already bound.
    error ChallengesAlreadyBound(address challenges);
    /// @notice No round with this id has been committed.
    /// @param roundId The id asked for.
    /// @param roundCount Rounds committed so far.
    error UnknownRound(uint256 roundId, uint256 roundCount);

    /// @notice Commits the next round; COORDINATOR_ROLE only.
    /// @param record The round's record.
    function commitRound(RoundRecord calldata record) external;
    /// @notice Voids round `roundId` and every later one and moves the head back to round `roundId - 1`;
    ///         only the bound RoundChallenges contract, and only while `roundId` is pending.
    /// @param roundId A committed, pending round.
    /// @return throughRound The last round voided.
    function voidRoundsFrom(uint256 roundId) external returns (uint256 throughRound);
    /// @notice Moves COORDINATOR_ROLE to `coordinator`, revoking it from the previous holder; admin only
    ///         (`grantRole(COORDINATOR_ROLE, …)` does the same; `revokeRole` leaves the ledger without one).
    /// @param coordinator The new coordinator, non-zero.
    function setCoordinator(address coordinator) external;
    /// @notice Names the RoundChallenges contract allowed to void rounds; admin only, once.
    /// @param challenges The contract.
    function bindChallenges(address challenges) external;

    /// @notice Seconds a committed round stays pending (challengeable) before it is final.
    /// @return The window, fixed at deployment.
    function challengeWindow() external view returns (uint256);
    /// @notice When round `roundId` was committed (unix seconds); 0 for the genesis and for a round
    ///         older than the last `MAX_PENDING_ROUNDS` (final; its `RoundCommitted` event has the time).
    /// @param roundId A committed round or 0.
    /// @return Unix seconds.
    function committedAt(uint256 roundId) external view returns (uint256);
    /// @notice Whether round `roundId` is final: committed, and `challengeWindow()` seconds passed since.
    ///         The genesis (0) is final; rounds not committed (or voided and not committed again) are not.
    /// @param roundId The round.
    /// @return True once final; a final round stays final.
    function isFinal(uint256 roundId) external view returns (bool);
    /// @notice The rewards root, finality and the final cumulative budget bounding claims, for the vault.
    /// @param roundId The round claimed under.
    /// @return The claim terms.
    function claimTermsOf(uint256 roundId) external view returns (ClaimTerms memory);
    /// @notice The current holder of COORDINATOR_ROLE.
    /// @return The coordinator.
    function coordinator() external view returns (address);
    /// @notice The coordinator accountable for round `roundId`: the current one from the round it took
    ///         over at, the previous one before.
    /// @param roundId The round.
    /// @return The coordinator whose bond answers for the round.
    function committerOf(uint256 roundId) external view returns (address);
    /// @notice The first round the current coordinator answers for: every earlier round is a previous
    ///         coordinator's, so once round `coordinatorSince() - 1` is final no earlier coordinator's
    ///         round can be voided any more.
    /// @return The round id.
    function coordinatorSince() external view returns (uint256);
    /// @notice The RoundChallenges contract allowed to void rounds (zero until bound).
    /// @return The contract.
    function challenges() external view returns (address);
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
    /// @notice Sum of the reward budgets of all committed rounds (voided rounds leave it).
    /// @return Tokens (wei).
    function totalRewardBudget() external view returns (uint256);
}
