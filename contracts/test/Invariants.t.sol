// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Invariant and fuzz entry points follow the runner's naming (invariant_*, testFuzz_*).
// solhint-disable func-name-mixedcase

import {NodeRegistry} from "../NodeRegistry.sol";
import {GradnetHandler} from "./GradnetHandler.t.sol";
import {GradnetTestBase} from "./GradnetTestBase.t.sol";

/// @notice Invariants: tokens are conserved (bonds and challenges included), no claim pays beyond the
///         cumulative figure nor beyond the final rounds' budgets, and the registry's total active stake is exact.
contract GradnetInvariantTest is GradnetTestBase {
    GradnetHandler internal handler;

    function setUp() public {
        _deployContracts();
        handler = new GradnetHandler(token, registry, ledger, vault, challenges);
        ledger.grantRole(ledger.COORDINATOR_ROLE(), address(handler));
        token.grantRole(token.MINTER_ROLE(), address(handler));
    }

    /// @notice Only the handler is called by the invariant fuzzer.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// Staked + vault + bonds + bounties + challenger shares (+ unstaked wallets) account for everything
    /// minted; slashed stake and slashed bonds, less the bounties and challenger shares, went to the vault.
    function invariant_TokensAreConserved() external view {
        uint256 staked;
        uint256 wallets;
        for (uint256 i = 0; i < 3; ++i) {
            address actor = handler.actors(i);
            staked += registry.nodeOf(actor).stake;
            wallets += token.balanceOf(actor);
        }
        _eq(token.balanceOf(address(registry)), staked, "registry balance = sum of stakes");
        uint256 bounties = handler.ghostBounties();
        _eq(token.balanceOf(handler.REPORTER()), bounties, "reporter = bounties");
        _isTrue(bounties * 10_000 <= handler.ghostSlashed() * BOUNTY_BPS, "bounties within their share of the slashed stake");
        uint256 claimed = vault.claimed(handler.actors(0)).reward + vault.claimed(handler.actors(1)).reward;
        uint256 bonds = handler.ghostBondsPosted() - handler.ghostBondsSlashed();
        _eq(token.balanceOf(address(challenges)), bonds, "challenges = bonds posted - bonds slashed");
        _eq(challenges.bondOf(address(handler)), bonds, "the coordinator's bond");
        uint256 shares = handler.ghostChallengerShares();
        _eq(token.balanceOf(handler.CHALLENGER()), shares, "challenger = its shares");
        _isTrue(shares * 10_000 <= handler.ghostBondsSlashed() * CHALLENGER_SHARE_BPS, "shares within their part of the bonds");
        _eq(
            token.balanceOf(address(vault)),
            VAULT_FUNDING - claimed + handler.ghostSlashed() - bounties + handler.ghostBondsSlashed() - shares,
            "vault = funding - claimed + slashed - bounties + bonds slashed - shares"
        );
        _eq(token.totalSupply(), VAULT_FUNDING + handler.ghostMinted(), "supply = funding + minted");
        _eq(
            staked + token.balanceOf(address(vault)) + wallets + bounties + bonds + shares,
            token.totalSupply(),
            "all tokens accounted"
        );
    }

    /// The running total of active stake is the stake of every registered node that is not exiting.
    function invariant_TotalActiveStakeIsExact() external view {
        uint256 active;
        for (uint256 i = 0; i < 3; ++i) {
            NodeRegistry.NodeInfo memory node = registry.nodeOf(handler.actors(i));
            if (node.nodeKey != address(0) && node.unbondingEndsAt == 0) active += node.stake;
        }
        _eq(registry.totalActiveStake(), active, "total active stake");
    }

    /// The vault never pays more than the cumulative budget of the final rounds.
    function invariant_ClaimsNeverExceedCommittedBudgets() external view {
        uint256 paid = vault.claimed(handler.actors(0)).reward + vault.claimed(handler.actors(1)).reward;
        _eq(vault.totalPaid(), paid, "total paid = sum of claims");
        uint256 finalBudget = _finalBudget();
        _isTrue(paid <= finalBudget, "paid <= budget of the final rounds");
        _isTrue(finalBudget <= ledger.totalRewardBudget(), "final budget <= committed budget");
    }

    /// The honest actor signs one update per round and is never slashed, whatever is submitted.
    function invariant_HonestNodeIsNeverSlashed() external view {
        _isTrue(!handler.ghostHonestSlashed(), "honest node slashed");
    }

    /// A claim never pays beyond the owner's latest cumulative figure, and pays exactly what is recorded.
    function invariant_ClaimsNeverExceedCumulative() external view {
        for (uint256 i = 0; i < 2; ++i) {
            (uint256 cumulative,,) = handler.latest(i);
            uint256 paid = vault.claimed(handler.actors(i)).reward;
            _isTrue(paid <= cumulative, "paid <= cumulative");
            _eq(handler.ghostReceivedFromVault(i), paid, "received = recorded");
        }
    }
}
