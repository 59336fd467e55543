// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRewardVault
/// @notice Pays round rewards against the cumulative rewards root each round commits in the
///         RoundLedger. A leaf is the OpenZeppelin StandardMerkleTree leaf of
///         `(address owner, uint256 cumulativeReward, uint256 cumulativeSamples, uint256 cumulativeRounds)`.
///         A claim pays `cumulativeReward - claimed` to the owner and records the cumulative
///         contribution figures, which never decrease.
interface IRewardVault {
    /// @notice What the vault records per owner.
    /// @param reward Cumulative reward paid so far.
    /// @param samples Cumulative samples contributed, as of the last claim.
    /// @param rounds Cumulative rounds contributed to, as of the last claim.
    struct ClaimedInfo {
        uint256 reward;
        uint256 samples;
        uint256 rounds;
    }

    /// @notice Emitted on every successful claim.
    /// @param owner The owner paid.
    /// @param roundId The round whose root proved the claim.
    /// @param payout Tokens transferred now.
    /// @param cumulativeReward Cumulative reward after the claim.
    /// @param cumulativeSamples Cumulative samples recorded.
    /// @param cumulativeRounds Cumulative rounds recorded.
    event RewardClaimed(
        address indexed owner,
        uint256 indexed roundId,
        uint256 payout,
        uint256 cumulativeReward,
        uint256 cumulativeSamples,
        uint256 cumulativeRounds
    );

    /// @notice A zero address was given where a real contract is needed.
    /// @param what Which parameter was zero.
    error ZeroAddress(string what);
    /// @notice The round has no rewards root (not committed, or committed without one).
    /// @param roundId The round.
    error NoRewardsRoot(uint256 roundId);
    /// @notice The round is still inside its challenge window (or was voided): its rewards are not claimable yet.
    /// @param roundId The round.
    error RoundNotFinal(uint256 roundId);
    /// @notice Paying this claim would take the total paid beyond the cumulative reward budget of the final
    ///         rounds: the rewards root promises more than the rounds declared.
    /// @param roundId The round claimed under.
    /// @param totalPaid What the vault would have paid in total.
    /// @param finalBudget The cumulative budget of the final rounds that bounds it.
    error ClaimExceedsBudget(uint256 roundId, uint256 totalPaid, uint256 finalBudget);
    /// @notice The proof does not lead from the leaf to the round's rewards root.
    /// @param roundId The round.
    /// @param owner The owner of the leaf.
    error InvalidProof(uint256 roundId, address owner);
    /// @notice The cumulative reward is below what was already paid (an older root).
    /// @param owner The owner.
    /// @param cumulativeReward The figure in the leaf.
    /// @param alreadyClaimed The figure already paid.
    error RewardBelowClaimed(address owner, uint256 cumulativeReward, uint256 alreadyClaimed);
    /// @notice The cumulative samples or rounds are below what is recorded (an older root).
    /// @param owner The owner.
    /// @param cumulativeSamples The samples in the leaf.
    /// @param recordedSamples The samples recorded.
    /// @param cumulativeRounds The rounds in the leaf.
    /// @param recordedRounds The rounds recorded.
    error ContributionBelowRecorded(
        address owner,
        uint256 cumulativeSamples,
        uint256 recordedSamples,
        uint256 cumulativeRounds,
        uint256 recordedRounds
    );
    /// @notice The leaf changes nothing: this root was already claimed.
    /// @param owner The owner.
    /// @param roundId The round.
    error NothingToClaim(address owner, uint256 roundId);

    /// @notice Claims for `owner` under round `roundId`'s rewards root; anyone may submit, only `owner` is paid.
    /// @param roundId A final round.
    /// @param owner The owner in the leaf, who receives the payout.
    /// @param cumulativeReward The owner's cumulative reward (wei) as of that round.
    /// @param cumulativeSamples The owner's cumulative samples as of that round.
    /// @param cumulativeRounds The owner's cumulative rounds as of that round.
    /// @param proof The Merkle proof of the leaf.
    function claim(
        uint256 roundId,
        address owner,
        uint256 cumulativeReward,
        uint256 cumulativeSamples,
        uint256 cumulativeRounds,
        bytes32[] calldata proof
    ) external;

    /// @notice Creates `owner`'s account slot ahead of its first claim, so that the claim rewrites the slot
    ///         instead of creating it (about 17,000 gas less for the claim). NodeRegistry calls it when an
    ///         owner first registers; anyone may call it for any address. It changes no recorded figure and
    ///         pays nothing; on an account already open (or already claimed for) it does nothing.
    /// @param owner The owner whose account to open.
    function openAccount(address owner) external;

    /// @notice Everything the vault has paid out in claims; never above the final rounds' cumulative budget.
    /// @return Tokens (wei).
    function totalPaid() external view returns (uint256);

    /// @notice What has been paid to and recorded for `owner`.
    /// @param owner The owner.
    /// @return The claimed figures.
    function claimed(address owner) external view returns (ClaimedInfo memory);
}
