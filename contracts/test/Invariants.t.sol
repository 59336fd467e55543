// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Invariant and fuzz entry points follow the runner's naming (invariant_*, testFuzz_*).
// solhint-disable func-name-mixedcase

import {GradToken} from "../GradToken.sol";
import {NodeRegistry} from "../NodeRegistry.sol";
import {RewardVault} from "../RewardVault.sol";
import {RoundLedger} from "../RoundLedger.sol";
import {GradnetHandler} from "./GradnetHandler.t.sol";
import {GradnetTestBase} from "./GradnetTestBase.t.sol";

/// @notice Invariants: tokens are conserved, and no claim pays beyond the cumulative figure.
contract GradnetInvariantTest is GradnetTestBase {
    GradnetHandler internal handler;

    function setUp() public {
        token = new GradToken(address(this));
        registry = new NodeRegistry(token, MIN_STAKE, UNBONDING, TREASURY, address(this));
        ledger = new RoundLedger(address(this), GENESIS, MAX_BUDGET);
        vault = new RewardVault(token, ledger);
        token.mint(address(vault), VAULT_FUNDING);
        handler = new GradnetHandler(token, registry, ledger, vault);
        ledger.grantRole(ledger.COORDINATOR_ROLE(), address(handler));
        registry.grantRole(registry.SLASHER_ROLE(), address(handler));
        token.grantRole(token.MINTER_ROLE(), address(handler));
    }

    /// @notice Only the handler is called by the invariant fuzzer.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// Staked + vault + claimed + slashed (+ unstaked wallets) account for everything minted.
    function invariant_TokensAreConserved() external view {
        uint256 staked;
        uint256 wallets;
        for (uint256 i = 0; i < 3; ++i) {
            address actor = handler.actors(i);
            staked += registry.nodeOf(actor).stake;
            wallets += token.balanceOf(actor);
        }
        _eq(token.balanceOf(address(registry)), staked, "registry balance = sum of stakes");
        _eq(token.balanceOf(TREASURY), handler.ghostSlashed(), "treasury = slashed");
        uint256 claimed = vault.claimed(handler.actors(0)).reward + vault.claimed(handler.actors(1)).reward;
        _eq(token.balanceOf(address(vault)), VAULT_FUNDING - claimed, "vault = funding - claimed");
        _eq(token.totalSupply(), VAULT_FUNDING + handler.ghostMinted(), "supply = funding + minted");
        _eq(staked + token.balanceOf(address(vault)) + wallets + handler.ghostSlashed(), token.totalSupply(), "all tokens accounted");
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
