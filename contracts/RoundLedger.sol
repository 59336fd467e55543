// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IRoundLedger} from "./interfaces/IRoundLedger.sol";

/// @title RoundLedger
/// @notice Checkpoints each round's model hash in a hash chain and publishes its rewards root.
///         See {IRoundLedger}.
contract RoundLedger is IRoundLedger, AccessControl {
    /// @notice Role allowed to commit rounds (the coordinator).
    bytes32 public constant COORDINATOR_ROLE = keccak256("COORDINATOR_ROLE");
    /// @notice Fixed point scale of loss and accuracy.
    uint32 public constant FIXED_POINT = 1e6;

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

    /// @notice The genesis model hash (round 0).
    bytes32 public immutable genesisModelHash;
    /// @notice Largest budget a single round may carry.
    uint128 public immutable maxRewardBudget;

    Head private _head;
    mapping(uint256 roundId => Round) private _rounds;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (it grants COORDINATOR_ROLE).
    /// @param genesisHash The model hash of round 0, non-zero.
    /// @param maxBudget Largest reward budget a single round may carry.
    constructor(address admin, bytes32 genesisHash, uint128 maxBudget) {
        if (admin == address(0)) revert ZeroAddress("admin");
        if (genesisHash == bytes32(0)) revert ZeroGenesisHash();
        genesisModelHash = genesisHash;
        maxRewardBudget = maxBudget;
        _rounds[0].modelHash = genesisHash;
        _head = Head({roundCount: 0, deployedAtBlock: uint64(block.number), totalRewardBudget: 0});
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
        if (total > type(uint128).max) revert TotalRewardBudgetOverflow(roundId, total);

        _rounds[roundId] = Round({modelHash: record.modelHash, rewardsRoot: record.rewardsRoot});
        _head = Head({
            roundCount: uint64(roundId),
            deployedAtBlock: head.deployedAtBlock,
            totalRewardBudget: uint128(total)
        });
        _emitRoundCommitted(record);
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
        return _rounds[roundId].rewardsRoot;
    }

    /// @inheritdoc IRoundLedger
    function deployedAtBlock() external view returns (uint256) {
        return _head.deployedAtBlock;
    }

    /// @inheritdoc IRoundLedger
    function totalRewardBudget() external view returns (uint256) {
        return _head.totalRewardBudget;
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
