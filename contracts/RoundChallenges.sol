// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IRoundChallenges} from "./interfaces/IRoundChallenges.sol";
import {IRoundLedger} from "./interfaces/IRoundLedger.sol";

/// @title RoundChallenges
/// @notice The coordinator's bond, and the challenge that voids a wrong round. See {IRoundChallenges}.
/// @dev No roles: every parameter is fixed at deployment, and a challenge needs only valid verdicts.
contract RoundChallenges is IRoundChallenges {
    using SafeERC20 for IERC20;

    /// @notice Basis points of a whole.
    uint256 public constant BPS = 10_000;
    /// @notice EIP-712 type of a verdict (`core/protocol`'s VERDICT_TYPES).
    bytes32 public constant VERDICT_TYPEHASH =
        keccak256("Verdict(uint64 round,bytes32 modelHash,bytes32 rewardsRoot,uint8 verdict)");
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant PROTOCOL_NAME_HASH = keccak256("gradnet");
    bytes32 private constant PROTOCOL_VERSION_HASH = keccak256("1");
    uint8 private constant MISMATCH = 1;
    uint8 private constant UNAVAILABLE = 2;

    /// @notice The bond token.
    IERC20 public immutable token;
    /// @notice The ledger whose rounds are challenged (and whose address names the verdict domain).
    IRoundLedger public immutable ledger;
    /// @notice The registry whose active stake weighs the verdicts.
    INodeRegistry public immutable registry;
    /// @notice Receiver of a slashed bond less the challenger's share: the reward pool.
    address public immutable rewardVault;
    uint256 private immutable _thresholdBps;
    uint256 private immutable _challengerShareBps;

    mapping(address coordinator => uint256) private _bonds;

    /// @param bondToken The token bonds are posted in.
    /// @param roundLedger The ledger.
    /// @param nodeRegistry The registry.
    /// @param vault Receiver of slashed bonds less the challenger's share.
    /// @param threshold Share of the total active stake verdicts need, in basis points (1..10,000).
    /// @param challengerShare Share of a slashed bond paid to the challenger, in basis points (0..10,000).
    constructor(
        IERC20 bondToken,
        IRoundLedger roundLedger,
        INodeRegistry nodeRegistry,
        address vault,
        uint256 threshold,
        uint256 challengerShare
    ) {
        if (address(bondToken) == address(0)) revert ZeroAddress("token");
        if (address(roundLedger) == address(0)) revert ZeroAddress("ledger");
        if (address(nodeRegistry) == address(0)) revert ZeroAddress("registry");
        if (vault == address(0)) revert ZeroAddress("rewardVault");
        if (threshold == 0 || threshold > BPS) revert BpsOutOfRange("thresholdBps", threshold);
        if (challengerShare > BPS) revert BpsOutOfRange("challengerShareBps", challengerShare);
        token = bondToken;
        ledger = roundLedger;
        registry = nodeRegistry;
        rewardVault = vault;
        _thresholdBps = threshold;
        _challengerShareBps = challengerShare;
    }

    /// @inheritdoc IRoundChallenges
    function challengeRound(uint256 roundId, SignedVerdict[] calldata verdicts) external {
        uint256 count = ledger.roundCount();
        if (roundId == 0 || roundId > count) revert UnknownRound(roundId, count);
        if (ledger.isFinal(roundId)) revert RoundAlreadyFinal(roundId);
        IRoundLedger.StoredRound memory round = ledger.getRound(roundId);
        uint256 stakeAgainst = _stakeAgainst(roundId, round.modelHash, round.rewardsRoot, verdicts);
        uint256 total = registry.totalActiveStake();
        // have * BPS >= total * threshold, and never zero (an empty registry voids nothing).
        if (stakeAgainst == 0 || stakeAgainst * BPS < total * _thresholdBps) {
            uint256 need = (total * _thresholdBps + BPS - 1) / BPS;
            revert InsufficientStake(stakeAgainst, need == 0 ? 1 : need);
        }

        address coordinator = ledger.committerOf(roundId);
        uint256 throughRound = ledger.voidRoundsFrom(roundId);
        uint256 bond = _bonds[coordinator];
        _bonds[coordinator] = 0;
        uint256 share = bond * _challengerShareBps / BPS;
        emit RoundChallenged(
            roundId, throughRound, coordinator, msg.sender, verdicts.length, stakeAgainst, total, bond, share
        );
        if (share > 0) token.safeTransfer(msg.sender, share);
        if (bond > share) token.safeTransfer(rewardVault, bond - share);
    }

    /// @inheritdoc IRoundChallenges
    function postBond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        address coordinator = ledger.coordinator();
        if (coordinator == address(0)) revert NoCoordinator();
        uint256 bond = _bonds[coordinator] + amount;
        _bonds[coordinator] = bond;
        emit BondPosted(coordinator, msg.sender, amount, bond);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IRoundChallenges
    function withdrawBond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        // A former coordinator's rounds all precede the current coordinator's first round.
        if (msg.sender == ledger.coordinator() || !ledger.isFinal(ledger.coordinatorSince() - 1)) {
            revert BondLocked(msg.sender);
        }
        uint256 bond = _bonds[msg.sender];
        if (amount > bond) revert BondTooSmall(amount, bond);
        _bonds[msg.sender] = bond - amount;
        emit BondWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IRoundChallenges
    function bondOf(address coordinator) external view returns (uint256) {
        return _bonds[coordinator];
    }

    /// @inheritdoc IRoundChallenges
    function thresholdBps() external view returns (uint256) {
        return _thresholdBps;
    }

    /// @inheritdoc IRoundChallenges
    function challengerShareBps() external view returns (uint256) {
        return _challengerShareBps;
    }

    /// @inheritdoc IRoundChallenges
    function verdictDigest(uint256 roundId, bytes32 modelHash, bytes32 rewardsRoot, uint8 verdict)
        external
        view
        returns (bytes32)
    {
        return _verdictDigest(_domainSeparator(), roundId, modelHash, rewardsRoot, verdict);
    }

    /// @dev Checks every verdict (against, signed by its key for this very commit, active, in key order)
    ///      and sums the stake behind them.
    function _stakeAgainst(uint256 roundId, bytes32 modelHash, bytes32 rewardsRoot, SignedVerdict[] calldata verdicts)
        private
        view
        returns (uint256 stake)
    {
        bytes32 domainSeparator = _domainSeparator();
        address previous = address(0);
        for (uint256 i = 0; i < verdicts.length; ++i) {
            SignedVerdict calldata verdict = verdicts[i];
            address nodeKey = verdict.nodeKey;
            if (nodeKey <= previous) revert VerdictsNotSorted(i);
            previous = nodeKey;
            if (verdict.verdict != MISMATCH && verdict.verdict != UNAVAILABLE) {
                revert VerdictNotAgainst(nodeKey, verdict.verdict);
            }
            bytes32 digest = _verdictDigest(domainSeparator, roundId, modelHash, rewardsRoot, verdict.verdict);
            (address signer,,) = ECDSA.tryRecoverCalldata(digest, verdict.signature);
            if (signer != nodeKey) revert VerdictSignatureInvalid(nodeKey, signer);
            uint256 nodeStake = registry.activeStakeOf(nodeKey);
            if (nodeStake == 0) revert NodeNotActive(nodeKey);
            stake += nodeStake;
        }
    }

    /// @dev The protocol's domain (`core/protocol`'s gradnetDomain) for this chain and RoundLedger.
    function _domainSeparator() private view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, PROTOCOL_NAME_HASH, PROTOCOL_VERSION_HASH, block.chainid, address(ledger))
        );
    }

    function _verdictDigest(
        bytes32 domainSeparator,
        uint256 roundId,
        bytes32 modelHash,
        bytes32 rewardsRoot,
        uint8 verdict
    ) private pure returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(
            domainSeparator, keccak256(abi.encode(VERDICT_TYPEHASH, uint64(roundId), modelHash, rewardsRoot, verdict))
        );
    }
}
