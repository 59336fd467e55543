// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IRoundLedger} from "./interfaces/IRoundLedger.sol";

/// @title RoundLedger
/// @notice Checkpoints each round's model hash in a hash chain and publishes its rewards root; a round
///         is final once its challenge window has passed without a successful challenge. See {IRoundLedger}.
contract RoundLedger is IRoundLedger, AccessControl {
    /// @notice Role allowed to commit rounds (the coordinator); one holder at a time.
    bytes32 public constant COORDINATOR_ROLE = keccak256("COORDINATOR_ROLE");
    /// @notice Fixed point scale of loss and accuracy.
    uint32 public constant FIXED_POINT = 1e6;
    /// @notice Most rounds that may be pending (inside their challenge window) at once: the ring's size.
    uint256 public constant MAX_PENDING_ROUNDS = 256;

    // The ring entry's commit time of a voided round: never final, always overwritable.
    uint40 private constant VOIDED = type(uint40).max;
    // The running budget must fit the ring entry's 88-bit fields (about 309 million GRAD).
    uint256 private constant MAX_TOTAL_BUDGET = type(uint88).max;

    struct Round {
        bytes32 modelHash;
        bytes32 rewardsRoot;
    }

    // The one slot every commit reads and rewrites. The constructor stores the deployment block
    // in it, so the slot is never zero and every commit (round 1 included) pays the same
    // non-zero-to-non-zero write.
    struct Head {
        uint64 roundCount;
        uint64 deployedAtBlock;
        uint128 totalRewardBudget;
    }

    // One word per ring position, pre-filled at deployment so that a commit rewrites it (about 5k gas)
    // instead of creating it (about 22k). `roundId` tags whose entry it is: a round whose entry was
    // overwritten by a later round was final at that moment (a commit may only overwrite a final or
    // voided entry), so it is final for good. `finalFloor` is the cumulative budget of the final round
    // this entry overwrote (or inherited from the voided entry it overwrote): a bound on claims
    // under any older round, and round `roundId - MAX_PENDING_ROUNDS`'s budget when voiding.
    struct Meta {
        uint32 roundId;
        uint40 committedAt;
        uint88 cumulativeBudget;
        uint88 finalFloor;
    }

    /// @notice The genesis model hash (round 0).
    bytes32 public immutable genesisModelHash;
    /// @notice Largest budget a single round may carry.
    uint128 public immutable maxRewardBudget;
    uint64 private immutable _challengeWindow;

    Head private _head;
    mapping(uint256 roundId => Round) private _rounds;
    Meta[MAX_PENDING_ROUNDS] private _ring;
    address private _coordinator;
    // Rounds up to this one are the previous coordinator's; later ones the current coordinator's.
    uint64 private _handoverRound;
    address private _previousCoordinator;
    address private _challenges;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (it moves COORDINATOR_ROLE and binds the challenges contract).
    /// @param genesisHash The model hash of round 0, non-zero.
    /// @param maxBudget Largest reward budget a single round may carry.
    /// @param window Seconds each committed round stays challengeable.
    constructor(address admin, bytes32 genesisHash, uint128 maxBudget, uint64 window) {
        if (admin == address(0)) revert ZeroAddress("admin");
        if (genesisHash == bytes32(0)) revert ZeroGenesisHash();
        genesisModelHash = genesisHash;
        maxRewardBudget = maxBudget;
        _challengeWindow = window;
        _rounds[0].modelHash = genesisHash;
        _head = Head({roundCount: 0, deployedAtBlock: uint64(block.number), totalRewardBudget: 0});
        // Non-zero words, so that the first commit at each position rewrites rather than creates one.
        for (uint256 i = 0; i < MAX_PENDING_ROUNDS; ++i) {
            _ring[i] = Meta({roundId: 0, committedAt: 1, cumulativeBudget: 0, finalFloor: 0});
        }
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IRoundLedger
    function commitRound(RoundRecord calldata record) external onlyRole(COORDINATOR_ROLE) {
        Head memory head = _head;
        uint256 roundId = record.roundId;
        uint256 expected = uint256(head.roundCount) + 1;
        if (roundId != expected) revert NonSequentialRound(roundId, expected);
        bytes32 parent = _rounds[head.roundCount].modelHash;
        if (record.parentHash != parent) revert ParentHashMismatch(roundId, record.parentHash, parent);
        if (record.modelHash == bytes32(0)) revert ZeroModelHash(roundId);
        if (record.accuracy > FIXED_POINT) revert AccuracyOutOfRange(roundId, record.accuracy);
        if (record.rewardBudget > maxRewardBudget) {
            revert RewardBudgetTooLarge(roundId, record.rewardBudget, maxRewardBudget);
        }

        uint256 total = uint256(head.totalRewardBudget) + record.rewardBudget;
        if (total > MAX_TOTAL_BUDGET) revert TotalRewardBudgetOverflow(roundId, total);

        Meta memory previous = _ring[roundId % MAX_PENDING_ROUNDS];
        uint88 floor = previous.finalFloor;
        // The pre-filled entries (round 0) are free; a voided entry passes its floor on.
        if (previous.roundId != 0 && previous.committedAt != VOIDED) {
            uint256 finalAt = uint256(previous.committedAt) + _challengeWindow;
            if (finalAt > block.timestamp) revert TooManyPendingRounds(roundId, previous.roundId, finalAt);
            floor = previous.cumulativeBudget;
        }
        // Round ids fit 32 bits for 4 billion rounds; the sequence check above makes that the limit.
        _ring[roundId % MAX_PENDING_ROUNDS] = Meta({
            roundId: uint32(roundId),
            committedAt: uint40(block.timestamp),
            cumulativeBudget: uint88(total),
            finalFloor: floor
        });
        _rounds[roundId] = Round({modelHash: record.modelHash, rewardsRoot: record.rewardsRoot});
        _head = Head({
            roundCount: uint64(roundId),
            deployedAtBlock: head.deployedAtBlock,
            totalRewardBudget: uint128(total)
        });
        _emitRoundCommitted(record);
    }

    /// @inheritdoc IRoundLedger
    function voidRoundsFrom(uint256 roundId) external returns (uint256 throughRound) {
        if (msg.sender != _challenges) revert NotChallenges(msg.sender);
        Head memory head = _head;
        throughRound = head.roundCount;
        if (roundId == 0 || roundId > throughRound) revert UnknownRound(roundId, throughRound);
        if (isFinal(roundId)) revert RoundAlreadyFinal(roundId);
        // Pending rounds keep their own entries (only final or voided ones are overwritten), so the loop
        // touches at most MAX_PENDING_ROUNDS entries, and round roundId - 1's entry (or, if a later round
        // took it, that round's floor) holds the budget the head goes back to.
        Meta memory parent = _ring[(roundId - 1) % MAX_PENDING_ROUNDS];
        uint256 budgetBefore = parent.roundId == roundId - 1 ? parent.cumulativeBudget : parent.finalFloor;
        for (uint256 r = roundId; r <= throughRound; ++r) {
            _ring[r % MAX_PENDING_ROUNDS].committedAt = VOIDED;
        }
        _head = Head({
            roundCount: uint64(roundId - 1),
            deployedAtBlock: head.deployedAtBlock,
            totalRewardBudget: uint128(budgetBefore)
        });
        // The rounds voided here are re-committed by the current coordinator.
        if (_handoverRound >= roundId) _handoverRound = uint64(roundId - 1);
        emit RoundsVoided(roundId, throughRound, _rounds[roundId - 1].modelHash);
    }

    /// @inheritdoc IRoundLedger
    function setCoordinator(address newCoordinator) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newCoordinator == address(0)) revert ZeroAddress("coordinator");
        _grantRole(COORDINATOR_ROLE, newCoordinator);
    }

    /// @inheritdoc IRoundLedger
    function bindChallenges(address challengesContract) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (challengesContract == address(0)) revert ZeroAddress("challenges");
        if (_challenges != address(0)) revert ChallengesAlreadyBound(_challenges);
        _challenges = challengesContract;
        emit ChallengesBound(challengesContract);
    }

    /// @inheritdoc IRoundLedger
    function roundCount() external view returns (uint256) {
        return _head.roundCount;
    }

    /// @inheritdoc IRoundLedger
    function getRound(uint256 roundId) external view returns (StoredRound memory) {
        uint256 count = _head.roundCount;
        if (roundId > count) revert UnknownRound(roundId, count);
        Round storage round = _rounds[roundId];
        return StoredRound({
            modelHash: round.modelHash,
            parentHash: roundId == 0 ? bytes32(0) : _rounds[roundId - 1].modelHash,
            rewardsRoot: round.rewardsRoot
        });
    }

    /// @inheritdoc IRoundLedger
    function latestModelHash() external view returns (bytes32) {
        return _rounds[_head.roundCount].modelHash;
    }

    /// @inheritdoc IRoundLedger
    function rewardsRootOf(uint256 roundId) external view returns (bytes32) {
        // A voided round's words stay in storage until it is committed again.
        return roundId > _head.roundCount ? bytes32(0) : _rounds[roundId].rewardsRoot;
    }

    /// @inheritdoc IRoundLedger
    function deployedAtBlock() external view returns (uint256) {
        return _head.deployedAtBlock;
    }

    /// @inheritdoc IRoundLedger
    function totalRewardBudget() external view returns (uint256) {
        return _head.totalRewardBudget;
    }

    /// @inheritdoc IRoundLedger
    function challengeWindow() external view returns (uint256) {
        return _challengeWindow;
    }

    /// @inheritdoc IRoundLedger
    function committedAt(uint256 roundId) external view returns (uint256) {
        uint256 count = _head.roundCount;
        if (roundId > count) revert UnknownRound(roundId, count);
        Meta memory entry = _ring[roundId % MAX_PENDING_ROUNDS];
        return roundId != 0 && entry.roundId == roundId ? entry.committedAt : 0;
    }

    /// @inheritdoc IRoundLedger
    function isFinal(uint256 roundId) public view returns (bool) {
        return _isFinal(roundId, _ring[roundId % MAX_PENDING_ROUNDS]);
    }

    /// @inheritdoc IRoundLedger
    function claimTermsOf(uint256 roundId) external view returns (ClaimTerms memory terms) {
        Meta memory entry = _ring[roundId % MAX_PENDING_ROUNDS];
        terms.rewardsRoot = _rounds[roundId].rewardsRoot;
        terms.isFinal = _isFinal(roundId, entry);
        if (terms.isFinal) {
            // The entry is this round's, or a later round's that overwrote it when it was final: either
            // way a final round at or after roundId bounds the claims (see Meta).
            bool entryFinal = entry.committedAt != VOIDED && _windowOver(entry.committedAt);
            terms.finalBudget = entryFinal ? entry.cumulativeBudget : entry.finalFloor;
        }
    }

    /// @inheritdoc IRoundLedger
    function coordinator() external view returns (address) {
        return _coordinator;
    }

    /// @inheritdoc IRoundLedger
    function committerOf(uint256 roundId) external view returns (address) {
        return roundId > _handoverRound ? _coordinator : _previousCoordinator;
    }

    /// @inheritdoc IRoundLedger
    function coordinatorSince() external view returns (uint256) {
        return uint256(_handoverRound) + 1;
    }

    /// @inheritdoc IRoundLedger
    function challenges() external view returns (address) {
        return _challenges;
    }

    /// @dev COORDINATOR_ROLE has one holder: granting it (setCoordinator or grantRole) revokes the
    ///      previous holder, whose bond still answers for the rounds it committed.
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        if (role == COORDINATOR_ROLE && account != _coordinator) {
            address previous = _coordinator;
            if (previous != address(0)) {
                super._revokeRole(role, previous);
                _previousCoordinator = previous;
            }
            _coordinator = account;
            _handoverRound = _head.roundCount;
            emit CoordinatorChanged(previous, account, uint256(_head.roundCount) + 1);
        }
        return super._grantRole(role, account);
    }

    /// @dev Revoking the coordinator (to stop a rogue key before a successor is chosen) leaves none.
    function _revokeRole(bytes32 role, address account) internal override returns (bool) {
        if (role == COORDINATOR_ROLE && account == _coordinator) {
            _previousCoordinator = account;
            _coordinator = address(0);
            _handoverRound = _head.roundCount;
            emit CoordinatorChanged(account, address(0), uint256(_head.roundCount) + 1);
        }
        return super._revokeRole(role, account);
    }

    // A round whose entry a later round took was final when that happened; round 0 is the genesis.
    function _isFinal(uint256 roundId, Meta memory entry) private view returns (bool) {
        if (roundId == 0) return true;
        if (entry.roundId == roundId) return entry.committedAt != VOIDED && _windowOver(entry.committedAt);
        return entry.roundId > roundId;
    }

    function _windowOver(uint40 at) private view returns (bool) {
        return uint256(at) + _challengeWindow <= block.timestamp;
    }

    // A separate frame keeps commitRound's stack shallow enough for the eleven event fields.
    function _emitRoundCommitted(RoundRecord calldata record) private {
        emit RoundCommitted(
            record.roundId,
            record.modelHash,
            record.parentHash,
            record.updatesRoot,
            record.rewardsRoot,
            record.contributors,
            record.totalSamples,
            record.loss,
            record.accuracy,
            record.rewardBudget,
            uint64(block.timestamp)
        );
    }
}
