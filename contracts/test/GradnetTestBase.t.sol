// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GradToken} from "../GradToken.sol";
import {NodeRegistry} from "../NodeRegistry.sol";
import {RewardVault} from "../RewardVault.sol";
import {RoundChallenges} from "../RoundChallenges.sol";
import {RoundLedger} from "../RoundLedger.sol";
import {IRoundLedger} from "../interfaces/IRoundLedger.sol";
import {GradnetSigner} from "./GradnetSigner.t.sol";

/// @notice Deploys the four contracts (this test is admin, minter and coordinator) and offers
///         assertions and two-leaf rewards trees built the way the OpenZeppelin merkle-tree library builds them.
abstract contract GradnetTestBase is GradnetSigner {
    uint256 internal constant MIN_STAKE = 100 ether;
    uint64 internal constant UNBONDING = 1 hours;
    uint128 internal constant MAX_BUDGET = 1_000 ether;
    uint256 internal constant VAULT_FUNDING = 1_000_000 ether;
    uint256 internal constant BOUNTY_BPS = 1_000;
    bytes32 internal constant GENESIS = keccak256("solidity test genesis");
    uint256 internal constant TOKEN_CAP = 1_000_000_000 ether;
    uint64 internal constant WINDOW = 1 hours;
    uint256 internal constant THRESHOLD_BPS = 3_334;
    uint256 internal constant CHALLENGER_SHARE_BPS = 2_000;

    GradToken internal token;
    NodeRegistry internal registry;
    RoundLedger internal ledger;
    RewardVault internal vault;
    RoundChallenges internal challenges;

    error AssertionFailed(string what, uint256 actual, uint256 expected);

    function _deploy(address operator) internal {
        _deployContracts();
        ledger.grantRole(ledger.COORDINATOR_ROLE(), operator);
        token.grantRole(token.MINTER_ROLE(), operator);
    }

    /// @dev The deployment order of ignition/modules/Gradnet.ts: the registry names the ledger and the vault.
    function _deployContracts() internal {
        token = new GradToken(address(this), TOKEN_CAP);
        ledger = new RoundLedger(address(this), GENESIS, MAX_BUDGET, WINDOW);
        vault = new RewardVault(token, ledger);
        registry = new NodeRegistry(token, MIN_STAKE, UNBONDING, address(ledger), address(vault), BOUNTY_BPS, address(this));
        challenges = new RoundChallenges(token, ledger, registry, address(vault), THRESHOLD_BPS, CHALLENGER_SHARE_BPS);
        ledger.bindChallenges(address(challenges));
        token.mint(address(vault), VAULT_FUNDING);
    }

    function _eq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailed(what, actual, expected);
    }

    function _isTrue(bool value, string memory what) internal pure {
        if (!value) revert AssertionFailed(what, 0, 1);
    }

    function _bound(uint256 value, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (value % (max - min + 1));
    }

    function _leaf(address owner, uint256 reward, uint256 samples, uint256 rounds) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(owner, reward, samples, rounds))));
    }

    /// @dev The root of a two-leaf tree: the commutative hash of the leaves (OpenZeppelin's pairing).
    function _root(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }

    function _proof(bytes32 sibling) internal pure returns (bytes32[] memory proof) {
        proof = new bytes32[](1);
        proof[0] = sibling;
    }

    /// @dev The cumulative budget of the latest final round: what the vault may have paid at most.
    function _finalBudget() internal view returns (uint256) {
        for (uint256 r = ledger.roundCount(); r > 0; --r) {
            if (ledger.isFinal(r)) return ledger.claimTermsOf(r).finalBudget;
        }
        return 0;
    }

    /// @dev Lets every committed round's challenge window pass.
    function _finalize() internal {
        VM.warp(block.timestamp + WINDOW);
    }

    /// @dev Commits the next round with `rewardsRoot` (the caller must hold COORDINATOR_ROLE).
    function _commit(bytes32 rewardsRoot, uint128 budget) internal returns (uint256 roundId) {
        roundId = ledger.roundCount() + 1;
        ledger.commitRound(
            IRoundLedger.RoundRecord({
                roundId: roundId,
                modelHash: keccak256(abi.encode("model", roundId)),
                parentHash: ledger.latestModelHash(),
                updatesRoot: keccak256(abi.encode("updates", roundId)),
                rewardsRoot: rewardsRoot,
                contributors: 2,
                totalSamples: 1_000,
                loss: 500_000,
                accuracy: 900_000,
                rewardBudget: budget
            })
        );
    }
}
