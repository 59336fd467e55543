// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test entry points follow the runner's naming (test_*, testFuzz_*).
// solhint-disable func-name-mixedcase

import {RoundLedger} from "../RoundLedger.sol";
import {IRoundLedger} from "../interfaces/IRoundLedger.sol";
import {GradnetTestBase} from "./GradnetTestBase.t.sol";

/// @notice The ledger's ring of pending rounds checked against a plain model of the chain: finality,
///         claim bounds and budgets through commits, the passing of time and voids, across many
///         wraps of the ring. This test is the coordinator and the challenges contract.
contract RoundLedgerRingTest is GradnetTestBase {
    uint256 internal constant RING = 256;

    // The model: the current chain's commit times and cumulative budgets (index = round id).
    uint256[] internal times;
    uint256[] internal budgets;

    function setUp() public {
        ledger = new RoundLedger(address(this), GENESIS, MAX_BUDGET, WINDOW);
        ledger.setCoordinator(address(this));
        ledger.bindChallenges(address(this));
        times.push(0);
        budgets.push(0);
    }

    function _commitNext(uint256 budget) internal {
        _commit(bytes32(uint256(1)), uint128(budget));
        times.push(block.timestamp);
        budgets.push(budgets[budgets.length - 1] + budget);
    }

    function _final(uint256 roundId) internal view returns (bool) {
        return roundId == 0 || (roundId < times.length && times[roundId] + WINDOW <= block.timestamp);
    }

    /// The ledger agrees with the model on every round id up to two rings past the head.
    function _check() internal view {
        uint256 count = times.length - 1;
        _eq(ledger.roundCount(), count, "round count");
        _eq(ledger.totalRewardBudget(), budgets[count], "total budget");
        uint256 latestFinalBudget = 0;
        for (uint256 r = 0; r <= count; ++r) {
            if (_final(r)) latestFinalBudget = budgets[r];
        }
        uint256 from = count > 2 * RING ? count - 2 * RING : 0;
        for (uint256 r = from; r <= count + 2; ++r) {
            bool expected = _final(r);
            _isTrue(ledger.isFinal(r) == expected, "isFinal");
            IRoundLedger.ClaimTerms memory terms = ledger.claimTermsOf(r);
            _isTrue(terms.isFinal == expected, "claim terms final");
            if (expected) {
                // A final round's claims are bounded by the budget of a final round at or after it.
                _isTrue(terms.finalBudget >= budgets[r], "bound covers the round");
                _isTrue(terms.finalBudget <= latestFinalBudget, "bound is final");
            } else {
                _eq(terms.finalBudget, 0, "no bound before finality");
            }
            if (r > 0 && r <= count) {
                uint256 at = ledger.committedAt(r);
                // Zero once a later (possibly since voided) round took the round's ring entry.
                _isTrue(at == times[r] || at == 0, "committedAt");
            }
        }
    }

    function _void(uint256 fromRound) internal {
        ledger.voidRoundsFrom(fromRound);
        while (times.length > fromRound) {
            times.pop();
            budgets.pop();
        }
    }

    function _oldestPending() internal view returns (uint256) {
        for (uint256 r = 1; r < times.length; ++r) {
            if (!_final(r)) return r;
        }
        return 0;
    }

    /// A full ring of pending rounds refuses the next commit until the oldest is final; the round it
    /// displaces stays final and keeps bounding claims.
    function test_AFullRingWaitsForTheOldestRoundToBeFinal() external {
        uint256 start = block.timestamp;
        for (uint256 i = 0; i < RING; ++i) _commitNext(1 ether);
        VM.expectRevert(
            abi.encodeWithSelector(IRoundLedger.TooManyPendingRounds.selector, RING + 1, 1, start + WINDOW)
        );
        this.commitOne(1 ether);
        VM.warp(start + WINDOW - 1);
        VM.expectRevert(
            abi.encodeWithSelector(IRoundLedger.TooManyPendingRounds.selector, RING + 1, 1, start + WINDOW)
        );
        this.commitOne(1 ether);
        VM.warp(start + WINDOW);
        _commitNext(1 ether);
        _check();
        _eq(ledger.committedAt(1), 0, "round 1's time left the ring");
        // Round 257 (pending) holds round 1's entry and, as its floor, round 1's budget.
        _eq(ledger.claimTermsOf(1).finalBudget, 1 ether, "bounded by the displaced round's budget");
        _eq(ledger.claimTermsOf(RING).finalBudget, RING * 1 ether, "bounded by its own budget");
    }

    /// Voiding the pending rounds right after a displaced final round restores that round's budget.
    function test_VoidingBackToADisplacedRoundRestoresItsBudget() external {
        _commitNext(3 ether);
        VM.warp(block.timestamp + WINDOW);
        for (uint256 i = 0; i < RING; ++i) _commitNext(1 ether);
        _check();
        _void(2);
        _eq(ledger.totalRewardBudget(), 3 ether, "back to round 1's budget");
        _isTrue(ledger.latestModelHash() == keccak256(abi.encode("model", uint256(1))), "back to round 1's model");
        _check();
        for (uint256 i = 0; i < 3; ++i) _commitNext(2 ether);
        VM.warp(block.timestamp + WINDOW);
        _check();
    }

    /// Random commits, waits and voids over several wraps of the ring: the ledger matches the model.
    function testFuzz_RingMatchesTheModel(uint256 seed) external {
        for (uint256 step = 0; step < 40; ++step) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            uint256 action = seed % 10;
            if (action < 6) {
                uint256 oldest = _oldestPending();
                // A full ring: wait for its oldest round first, as a coordinator would.
                if (oldest != 0 && times.length - oldest >= RING) VM.warp(times[oldest] + WINDOW);
                _commitNext((seed >> 8) % MAX_BUDGET);
            } else if (action < 9) {
                VM.warp(block.timestamp + (seed >> 8) % (2 * WINDOW));
            } else {
                uint256 oldest = _oldestPending();
                if (oldest != 0) _void(oldest + (seed >> 8) % (times.length - oldest));
            }
        }
        _check();
    }

    /// A long run that wraps the ring a few times, with rounds both faster and slower than the window.
    function test_LongRunAcrossWraps() external {
        uint256 seed = 42;
        for (uint256 step = 0; step < 900; ++step) {
            seed = uint256(keccak256(abi.encode(seed)));
            uint256 oldest = _oldestPending();
            if (seed % 50 == 0 && oldest != 0) {
                _void(oldest + (seed >> 8) % (times.length - oldest));
            } else {
                if (oldest != 0 && times.length - oldest >= RING) VM.warp(times[oldest] + WINDOW);
                _commitNext((seed >> 16) % MAX_BUDGET);
                // About 400 commits per window: the ring fills, and the coordinator waits as it must.
                VM.warp(block.timestamp + (seed >> 32) % (WINDOW / 200));
            }
            if (step % 150 == 0) _check();
        }
        _check();
    }

    /// Commits one round on top of the head (external, so a revert can be expected around it).
    function commitOne(uint256 budget) external {
        _commit(bytes32(uint256(1)), uint128(budget));
    }
}
