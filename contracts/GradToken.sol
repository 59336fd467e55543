// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IGradToken} from "./interfaces/IGradToken.sol";

/// @title GradToken
/// @notice ERC20 with EIP-2612 permits and a supply cap fixed at deployment. New supply only comes
///         from accounts with MINTER_ROLE (the deployer funds the RewardVault, the coordinator's bond
///         and, on a devnet, the test wallets), and never beyond `cap()`, whoever holds the role.
contract GradToken is ERC20, ERC20Permit, ERC20Capped, AccessControl, IGradToken {
    /// @notice Role allowed to mint.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice Thrown when the admin given to the constructor is the zero address.
    error ZeroAdmin();

    /// @param admin Receives DEFAULT_ADMIN_ROLE and MINTER_ROLE.
    /// @param supplyCap The most tokens that can ever exist (wei), non-zero.
    constructor(address admin, uint256 supplyCap)
        ERC20("Gradnet Token", "GRAD")
        ERC20Permit("Gradnet Token")
        ERC20Capped(supplyCap)
    {
        if (admin == address(0)) revert ZeroAdmin();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @inheritdoc IGradToken
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    // ERC20Capped checks the cap on every mint.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped) {
        super._update(from, to, value);
    }
}
