// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRoundChallenges
/// @notice Holds the coordinator's bond and voids wrong rounds. Auditing nodes sign a verdict per round
///         (EIP-712 `Verdict(uint64 round,bytes32 modelHash,bytes32 rewardsRoot,uint8 verdict)` in the
///         protocol's domain `gradnet`/`1`/chain id/RoundLedger: 0 match, 1 mismatch, 2 unavailable).
///         While a round is pending, anyone may submit mismatch or unavailable verdicts of active nodes
///         holding at least `thresholdBps` of the registry's total active stake: the ledger voids the
///         round and every later one, and the bond of the coordinator that committed it is slashed,
///         `challengerShareBps` of it to the submitter and the rest to the RewardVault.
interface IRoundChallenges {
    /// @notice A verdict as submitted: who signed it, what it says, and the signature.
    /// @param nodeKey The auditing node's key (must be active in the registry).
    /// @param verdict 1 (mismatch) or 2 (unavailable); a match (0) does not count against the round.
    /// @param signature The node key's 65-byte EIP-712 signature of the verdict.
    struct SignedVerdict {
        address nodeKey;
        uint8 verdict;
        bytes signature;
    }

    /// @notice Emitted when verdicts void rounds `roundId`..`throughRound` and slash the coordinator's bond.
    /// @param roundId The challenged round (the first voided).
    /// @param throughRound The last round voided.
    /// @param coordinator The coordinator that committed `roundId`, whose bond was slashed.
    /// @param challenger The account that submitted the verdicts.
    /// @param verdicts How many verdicts were submitted.
    /// @param stakeAgainst The active stake behind them.
    /// @param totalActiveStake The registry's total active stake at the time.
    /// @param bondSlashed The bond taken.
    /// @param challengerShare The part of `bondSlashed` paid to `challenger`; the rest went to the vault.
    event RoundChallenged(
        uint256 indexed roundId,
        uint256 throughRound,
        address indexed coordinator,
        address indexed challenger,
        uint256 verdicts,
        uint256 stakeAgainst,
        uint256 totalActiveStake,
        uint256 bondSlashed,
        uint256 challengerShare
    );
    /// @notice Emitted when `payer` adds `amount` to `coordinator`'s bond.
    /// @param coordinator The coordinator credited.
    /// @param payer The account the tokens came from.
    /// @param amount Tokens added.
    /// @param bond The bond after.
    event BondPosted(address indexed coordinator, address indexed payer, uint256 amount, uint256 bond);
    /// @notice Emitted when a former coordinator takes back `amount` of its bond.
    /// @param coordinator The former coordinator.
    /// @param amount Tokens returned.
    event BondWithdrawn(address indexed coordinator, uint256 amount);

    /// @notice A zero address was given where a real contract is needed.
    /// @param what Which parameter was zero.
    error ZeroAddress(string what);
    /// @notice A basis-point parameter is zero or above 10,000.
    /// @param what Which parameter.
    /// @param bps The value given.
    error BpsOutOfRange(string what, uint256 bps);
    /// @notice An amount of zero tokens was given.
    error ZeroAmount();
    /// @notice The ledger has no coordinator to credit the bond to.
    error NoCoordinator();
    /// @notice No round with this id is committed (or it is the genesis).
    /// @param roundId The id given.
    /// @param roundCount Rounds committed so far.
    error UnknownRound(uint256 roundId, uint256 roundCount);
    /// @notice The round is final: its challenge window is over.
    /// @param roundId The round.
    error RoundAlreadyFinal(uint256 roundId);
    /// @notice A verdict does not count against the round (only 1, mismatch, and 2, unavailable, do).
    /// @param nodeKey Its signer.
    /// @param verdict The verdict given.
    error VerdictNotAgainst(address nodeKey, uint8 verdict);
    /// @notice A verdict's signature does not recover to its node key for this round's committed model
    ///         hash and rewards root (forged, or about another round, commit, chain or deployment).
    /// @param nodeKey The key named.
    /// @param signer The address the signature recovers to (zero when it does not recover at all).
    error VerdictSignatureInvalid(address nodeKey, address signer);
    /// @notice The verdict's node key is not active in the registry (unknown, exiting, below the minimum
    ///         stake, or slashed).
    /// @param nodeKey The key.
    error NodeNotActive(address nodeKey);
    /// @notice Verdicts must come in strictly increasing node-key order, so none counts twice.
    /// @param index The first verdict out of order.
    error VerdictsNotSorted(uint256 index);
    /// @notice The verdicts' active stake is below the threshold.
    /// @param have The stake behind the verdicts.
    /// @param need The stake needed (`thresholdBps` of the total active stake, at least 1 wei).
    error InsufficientStake(uint256 have, uint256 need);
    /// @notice The bond cannot be withdrawn: the caller is the current coordinator, or a round committed
    ///         before the current coordinator took over is still pending.
    /// @param coordinator The caller.
    error BondLocked(address coordinator);
    /// @notice More than the caller's bond was asked for.
    /// @param amount The amount asked for.
    /// @param bond The caller's bond.
    error BondTooSmall(uint256 amount, uint256 bond);

    /// @notice Voids pending round `roundId` (and every later one) on verdicts against it and slashes the
    ///         bond of the coordinator that committed it. Anyone may call; the caller earns the challenger share.
    /// @param roundId A committed round still in its challenge window.
    /// @param verdicts Mismatch or unavailable verdicts for `roundId` and its committed model hash and
    ///        rewards root, by active node keys in strictly increasing order.
    function challengeRound(uint256 roundId, SignedVerdict[] calldata verdicts) external;
    /// @notice Adds `amount` tokens (approve first) to the bond of the ledger's current coordinator.
    /// @param amount Tokens to add.
    function postBond(uint256 amount) external;
    /// @notice Returns `amount` of the caller's bond once it is no longer the coordinator and every round
    ///         committed before the current coordinator took over is final.
    /// @param amount Tokens to take back.
    function withdrawBond(uint256 amount) external;

    /// @notice The bond held for `coordinator`.
    /// @param coordinator The coordinator.
    /// @return Tokens (wei).
    function bondOf(address coordinator) external view returns (uint256);
    /// @notice Share of the total active stake that verdicts need, in basis points (fixed at deployment).
    /// @return Basis points.
    function thresholdBps() external view returns (uint256);
    /// @notice Share of a slashed bond paid to the challenger, in basis points (fixed at deployment).
    /// @return Basis points.
    function challengerShareBps() external view returns (uint256);
    /// @notice The EIP-712 digest a node key signs for a verdict (equal to `core/protocol`'s verdict digest).
    /// @param roundId The round.
    /// @param modelHash The round's committed model hash.
    /// @param rewardsRoot The round's committed rewards root.
    /// @param verdict 0 match, 1 mismatch, 2 unavailable.
    /// @return The digest.
    function verdictDigest(uint256 roundId, bytes32 modelHash, bytes32 rewardsRoot, uint8 verdict)
        external
        view
        returns (bytes32);
}
