// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Fuzz entry points follow the runner's naming (testFuzz_*).
// solhint-disable func-name-mixedcase

import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {GradnetTestBase} from "./GradnetTestBase.t.sol";

/// @notice Fuzz tests of staking: minimum stake, unbonding and conservation under slashing.
contract NodeRegistryFuzzTest is GradnetTestBase {
    address internal constant OWNER = address(0xA11CE);
    address internal constant NODE_KEY = address(0xB0B);

    function setUp() public {
        _deploy(address(this));
    }

    function _fund(address owner, uint256 amount) internal {
        token.mint(owner, amount);
        VM.prank(owner);
        token.approve(address(registry), amount);
    }

    function testFuzz_RegisterNeedsMinStake(uint256 stake) external {
        stake = _bound(stake, 0, 10_000 ether);
        _fund(OWNER, stake);
        if (stake < MIN_STAKE) {
            VM.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeBelowMinimum.selector, stake, MIN_STAKE));
        }
        VM.prank(OWNER);
        registry.register(NODE_KEY, stake);
        if (stake >= MIN_STAKE) {
            _isTrue(registry.isActive(NODE_KEY), "active after register");
            _eq(token.balanceOf(address(registry)), stake, "registry holds the stake");
            _eq(token.balanceOf(OWNER), 0, "owner paid the stake");
        }
    }

    function testFuzz_WithdrawOnlyAfterUnbonding(uint256 wait) external {
        wait = _bound(wait, 0, 2 * UNBONDING);
        _fund(OWNER, MIN_STAKE);
        VM.prank(OWNER);
        registry.register(NODE_KEY, MIN_STAKE);
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

    function testFuzz_SlashThenWithdrawConservesTokens(uint256 stake, uint256 slashed) external {
        stake = _bound(stake, MIN_STAKE, 1_000_000 ether);
        slashed = _bound(slashed, 1, stake);
        _fund(OWNER, stake);
        VM.prank(OWNER);
        registry.register(NODE_KEY, stake);
        registry.slash(OWNER, slashed, keccak256("evidence"));
        _eq(token.balanceOf(TREASURY), slashed, "treasury got the slash");
        _isTrue(registry.isActive(NODE_KEY) == (stake - slashed >= MIN_STAKE), "active iff stake >= min");
        VM.prank(OWNER);
        registry.requestExit();
        VM.warp(block.timestamp + UNBONDING);
        VM.prank(OWNER);
        registry.withdraw();
        _eq(token.balanceOf(OWNER) + token.balanceOf(TREASURY), stake, "owner + treasury = stake");
        _eq(token.balanceOf(address(registry)), 0, "registry empty");
    }
}
