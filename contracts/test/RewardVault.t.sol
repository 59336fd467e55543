// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Fuzz entry points follow the runner's naming (testFuzz_*).
// solhint-disable func-name-mixedcase

import {IRewardVault} from "../interfaces/IRewardVault.sol";
import {GradnetTestBase} from "./GradnetTestBase.t.sol";
import {WrongRewardVault} from "./WrongRewardVault.t.sol";

/// @notice Fuzz tests of cumulative claims across two rounds, paid only once final and never beyond the
///         final rounds' cumulative budget.
contract RewardVaultFuzzTest is GradnetTestBase {
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);

    function setUp() public {
        _deploy(address(this));
    }

    /// @dev Commits a round where ALICE has `reward` (cumulative) and BOB a fixed leaf; returns ALICE's sibling.
    function _round(uint256 reward, uint256 samples, uint256 rounds) internal returns (uint256 roundId, bytes32 sibling) {
        sibling = _leaf(BOB, 1 ether, 10, 1);
        roundId = _commit(_root(_leaf(ALICE, reward, samples, rounds), sibling), MAX_BUDGET);
    }

    function testFuzz_ClaimsPayTheCumulativeFigureOnce(uint256 first, uint256 growth, bool claimFirst) external {
        first = _bound(first, 1, MAX_BUDGET);
        growth = _bound(growth, 0, MAX_BUDGET);
        (uint256 round1, bytes32 sibling) = _round(first, 100, 1);
        (uint256 round2,) = _round(first + growth, 200, 2);
        VM.expectRevert(abi.encodeWithSelector(IRewardVault.RoundNotFinal.selector, round2));
        vault.claim(round2, ALICE, first + growth, 200, 2, _proof(sibling));
        _finalize();

        if (claimFirst) vault.claim(round1, ALICE, first, 100, 1, _proof(sibling));
        vault.claim(round2, ALICE, first + growth, 200, 2, _proof(sibling));
        _eq(token.balanceOf(ALICE), first + growth, "paid the cumulative reward");

        VM.expectRevert(abi.encodeWithSelector(IRewardVault.NothingToClaim.selector, ALICE, round2));
        vault.claim(round2, ALICE, first + growth, 200, 2, _proof(sibling));
        if (growth > 0) {
            VM.expectRevert(
                abi.encodeWithSelector(IRewardVault.RewardBelowClaimed.selector, ALICE, first, first + growth)
            );
        } else {
            VM.expectRevert(abi.encodeWithSelector(IRewardVault.ContributionBelowRecorded.selector, ALICE, 100, 200, 1, 2));
        }
        vault.claim(round1, ALICE, first, 100, 1, _proof(sibling));
        _eq(token.balanceOf(ALICE), first + growth, "an old root pays nothing more");
    }

    /// Opening an account (as registration does, or anyone) before, between or after claims changes no
    /// figure and no payout.
    function testFuzz_OpeningAnAccountChangesNoFigure(uint256 first, uint256 growth, uint8 openedAt) external {
        first = _bound(first, 1, MAX_BUDGET);
        growth = _bound(growth, 1, MAX_BUDGET);
        (uint256 round1, bytes32 sibling) = _round(first, 100, 1);
        (uint256 round2,) = _round(first + growth, 200, 2);
        _finalize();
        if (openedAt % 3 == 0) vault.openAccount(ALICE);
        _eqClaimed(ALICE, 0, 0, 0);
        vault.claim(round1, ALICE, first, 100, 1, _proof(sibling));
        if (openedAt % 3 == 1) vault.openAccount(ALICE);
        _eqClaimed(ALICE, first, 100, 1);
        vault.claim(round2, ALICE, first + growth, 200, 2, _proof(sibling));
        if (openedAt % 3 == 2) vault.openAccount(ALICE);
        _eqClaimed(ALICE, first + growth, 200, 2);
        _eq(token.balanceOf(ALICE), first + growth, "paid the cumulative reward, once");
        _eq(vault.totalPaid(), first + growth, "total paid");
        VM.expectRevert(abi.encodeWithSelector(IRewardVault.NothingToClaim.selector, ALICE, round2));
        vault.claim(round2, ALICE, first + growth, 200, 2, _proof(sibling));
    }

    function _eqClaimed(address owner, uint256 reward, uint256 samples, uint256 rounds) internal view {
        IRewardVault.ClaimedInfo memory info = vault.claimed(owner);
        _eq(info.reward, reward, "recorded reward");
        _eq(info.samples, samples, "recorded samples");
        _eq(info.rounds, rounds, "recorded rounds");
    }

    function testFuzz_TamperedLeavesNeverPay(uint256 reward, uint256 forged) external {
        reward = _bound(reward, 1, MAX_BUDGET);
        forged = _bound(forged, 1, type(uint128).max);
        if (forged == reward) forged = reward + 1;
        (uint256 roundId, bytes32 sibling) = _round(reward, 100, 1);
        _finalize();
        VM.expectRevert(abi.encodeWithSelector(IRewardVault.InvalidProof.selector, roundId, ALICE));
        vault.claim(roundId, ALICE, forged, 100, 1, _proof(sibling));
        _eq(token.balanceOf(ALICE), 0, "nothing paid");
    }

    /// The budget invariant (paid <= the final rounds' budget) is not vacuous: a vault without finality
    /// and budgets breaks it on a root that over-promises, where the real vault refuses.
    function testFuzz_TheBudgetInvariantCatchesAWrongVault(uint256 budget, uint256 reward) external {
        budget = _bound(budget, 0, MAX_BUDGET - 1);
        reward = _bound(reward, budget + 1, 10 * MAX_BUDGET);
        WrongRewardVault wrong = new WrongRewardVault(token, ledger);
        token.mint(address(wrong), 10 * MAX_BUDGET);
        bytes32 sibling = _leaf(BOB, 1, 1, 1);
        uint256 roundId = _commit(_root(_leaf(ALICE, reward, 100, 1), sibling), uint128(budget));

        wrong.claim(roundId, ALICE, reward, 100, 1, _proof(sibling));
        _isTrue(wrong.totalPaid() > _finalBudget(), "the wrong vault paid beyond the final budget");

        VM.expectRevert(abi.encodeWithSelector(IRewardVault.RoundNotFinal.selector, roundId));
        vault.claim(roundId, ALICE, reward, 100, 1, _proof(sibling));
        _finalize();
        VM.expectRevert(abi.encodeWithSelector(IRewardVault.ClaimExceedsBudget.selector, roundId, reward, budget));
        vault.claim(roundId, ALICE, reward, 100, 1, _proof(sibling));
        _isTrue(vault.totalPaid() <= _finalBudget(), "the vault stays within the final budget");
    }

    /// A root that promises more than the final rounds' budgets pays at most those budgets, in total.
    function testFuzz_ClaimsNeverExceedTheFinalBudget(uint256 budget, uint256 reward) external {
        budget = _bound(budget, 0, MAX_BUDGET);
        reward = _bound(reward, 1, 10 * MAX_BUDGET);
        bytes32 sibling = _leaf(BOB, reward, 10, 1);
        uint256 roundId = _commit(_root(_leaf(ALICE, reward, 100, 1), sibling), uint128(budget));
        _finalize();
        if (reward > budget) {
            VM.expectRevert(abi.encodeWithSelector(IRewardVault.ClaimExceedsBudget.selector, roundId, reward, budget));
        }
        vault.claim(roundId, ALICE, reward, 100, 1, _proof(sibling));
        if (reward <= budget) {
            _eq(vault.totalPaid(), reward, "paid within the budget");
            // Bob's leaf promises as much again: the two together would exceed the budget unless it covers both.
            if (2 * reward > budget) {
                VM.expectRevert(
                    abi.encodeWithSelector(IRewardVault.ClaimExceedsBudget.selector, roundId, 2 * reward, budget)
                );
            }
            vault.claim(roundId, BOB, reward, 10, 1, _proof(_leaf(ALICE, reward, 100, 1)));
        }
        _isTrue(vault.totalPaid() <= budget, "total paid within the final budget");
    }
}
