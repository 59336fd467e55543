// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Fuzz entry points follow the runner's naming (testFuzz_*).
// solhint-disable func-name-mixedcase

import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {GradnetTestBase} from "./GradnetTestBase.t.sol";

/// @notice Fuzz tests of staking (minimum stake, unbonding), of the node key's consent to
///         registration, and of slashing by proof: equivocation is slashed and conserves tokens, an
///         honest node (one update per round) never is.
contract NodeRegistryFuzzTest is GradnetTestBase {
    address internal constant OWNER = address(0xA11CE);
    address internal constant REPORTER = address(0x5EE);
    bytes32 internal constant BASE = keccak256("base model");

    uint256 internal nodePrivateKey;
    address internal nodeKey;

    function setUp() public {
        _deploy(address(this));
        nodePrivateKey = _privateKey("node key");
        nodeKey = VM.addr(nodePrivateKey);
    }

    function _fund(address owner, uint256 amount) internal {
        token.mint(owner, amount);
        VM.prank(owner);
        token.approve(address(registry), amount);
    }

    function testFuzz_RegisterNeedsMinStake(uint256 stake) external {
        stake = _bound(stake, 0, 10_000 ether);
        _fund(OWNER, stake);
        bytes memory signature = _sign(nodePrivateKey, registry.nodeKeyBindingDigest(OWNER));
        if (stake < MIN_STAKE) {
            VM.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeBelowMinimum.selector, stake, MIN_STAKE));
        }
        VM.prank(OWNER);
        registry.register(nodeKey, stake, signature);
        if (stake >= MIN_STAKE) {
            _isTrue(registry.isActive(nodeKey), "active after register");
            _eq(token.balanceOf(address(registry)), stake, "registry holds the stake");
            _eq(token.balanceOf(OWNER), 0, "owner paid the stake");
        }
    }

    /// A squatter can neither bind a key it does not hold nor reuse the key's consent for another owner.
    function testFuzz_RegisterNeedsTheNodeKeysSignatureForThisOwner(uint256 squatterSeed, address squatter) external {
        if (squatter == OWNER || squatter == address(0)) return;
        uint256 squatterKey = _privateKey(abi.encode(squatterSeed));
        if (squatterKey == nodePrivateKey) return;
        _fund(squatter, MIN_STAKE);
        bytes memory forged = _sign(squatterKey, registry.nodeKeyBindingDigest(squatter));
        VM.expectRevert(
            abi.encodeWithSelector(INodeRegistry.NodeKeySignatureInvalid.selector, nodeKey, VM.addr(squatterKey))
        );
        VM.prank(squatter);
        registry.register(nodeKey, MIN_STAKE, forged);

        bytes memory forOwner = _sign(nodePrivateKey, registry.nodeKeyBindingDigest(OWNER));
        VM.prank(squatter);
        try registry.register(nodeKey, MIN_STAKE, forOwner) {
            revert AssertionFailed("the owner's binding registered the squatter", 1, 0);
        } catch {}
        _eq(uint160(registry.ownerOf(nodeKey)), 0, "key still free");
    }

    function testFuzz_WithdrawOnlyAfterUnbonding(uint256 wait) external {
        wait = _bound(wait, 0, 2 * UNBONDING);
        _fund(OWNER, MIN_STAKE);
        _registerSigned(registry, OWNER, nodePrivateKey, MIN_STAKE);
        VM.prank(OWNER);
        registry.requestExit();
        uint64 endsAt = uint64(block.timestamp) + UNBONDING;
        VM.warp(block.timestamp + wait);
        if (block.timestamp < endsAt) {
            VM.expectRevert(
                abi.encodeWithSelector(INodeRegistry.UnbondingNotOver.selector, OWNER, endsAt, block.timestamp)
            );
        }
        VM.prank(OWNER);
        registry.withdraw();
        if (block.timestamp >= endsAt) _eq(token.balanceOf(OWNER), MIN_STAKE, "stake returned");
    }

    /// Two different updates for one round take the whole stake: bounty to the reporter, the rest to the vault.
    function testFuzz_EquivocationSlashesAndConservesTokens(uint256 stake, uint64 round, uint256 a, uint256 b)
        external
    {
        if (a == b) return;
        stake = _bound(stake, MIN_STAKE, 1_000_000 ether);
        _fund(OWNER, stake);
        _registerSigned(registry, OWNER, nodePrivateKey, stake);
        INodeRegistry.Update memory first = _update(nodePrivateKey, round, BASE, a);
        INodeRegistry.Update memory second = _update(nodePrivateKey, round, BASE, b);
        bytes memory firstSignature = _signUpdate(registry, nodePrivateKey, first);
        bytes memory secondSignature = _signUpdate(registry, nodePrivateKey, second);

        VM.prank(REPORTER);
        registry.slashEquivocation(first, firstSignature, second, secondSignature);
        uint256 bounty = stake * BOUNTY_BPS / 10_000;
        _eq(token.balanceOf(REPORTER), bounty, "reporter got the bounty");
        _eq(token.balanceOf(address(vault)), VAULT_FUNDING + stake - bounty, "vault got the rest");
        _eq(registry.nodeOf(OWNER).stake, 0, "stake gone");
        _isTrue(!registry.isActive(nodeKey), "inactive once slashed");
        _isTrue(registry.slashedFor(nodeKey, round), "recorded");

        VM.expectRevert(abi.encodeWithSelector(INodeRegistry.AlreadySlashed.selector, nodeKey, round));
        registry.slashEquivocation(second, secondSignature, first, firstSignature);
    }

    /// An honest node signs at most one update per round (re-sending it as is after a restart). No pair
    /// of its updates, no alteration of one, and no update another key signs in its name slashes it.
    function testFuzz_HonestNodeIsNeverSlashable(
        uint64 roundA,
        uint64 roundB,
        bool sameBase,
        uint256 a,
        uint256 b,
        uint256 attackerSeed,
        uint64 forgedSamples
    ) external {
        _fund(OWNER, MIN_STAKE);
        _registerSigned(registry, OWNER, nodePrivateKey, MIN_STAKE);
        INodeRegistry.Update memory first = _update(nodePrivateKey, roundA, BASE, a);
        bytes memory firstSignature = _signUpdate(registry, nodePrivateKey, first);

        // One signature per round: for the same round the node sends its one update again.
        INodeRegistry.Update memory second =
            roundA == roundB ? first : _update(nodePrivateKey, roundB, sameBase ? BASE : keccak256(abi.encode(b)), b);
        _attempt(first, firstSignature, second, _signUpdate(registry, nodePrivateKey, second));

        // The honest signature on an altered copy of its update.
        INodeRegistry.Update memory altered = _update(nodePrivateKey, roundA, BASE, a);
        altered.samples = forgedSamples == first.samples ? forgedSamples + 1 : forgedSamples;
        _attempt(first, firstSignature, altered, firstSignature);

        // Another key signs a second update in the honest node's name.
        INodeRegistry.Update memory impostor = _update(nodePrivateKey, roundA, BASE, a ^ 1);
        _attempt(first, firstSignature, impostor, _signUpdate(registry, _privateKey(abi.encode(attackerSeed)), impostor));

        _eq(registry.nodeOf(OWNER).stake, MIN_STAKE, "honest stake untouched");
        _isTrue(registry.isActive(nodeKey), "honest node still active");
    }

    function _attempt(
        INodeRegistry.Update memory first,
        bytes memory firstSignature,
        INodeRegistry.Update memory second,
        bytes memory secondSignature
    ) internal {
        try registry.slashEquivocation(first, firstSignature, second, secondSignature) {
            revert AssertionFailed("an honest node was slashed", first.round, second.round);
        } catch {}
    }
}
