// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IGradToken
/// @notice The gradnet token: stake is posted in it and rewards are paid in it.
interface IGradToken is IERC20 {
    /// @notice Creates `amount` new tokens for `to`; only accounts holding MINTER_ROLE may call it, and
    ///         never beyond the supply cap (`ERC20ExceededCap`).
    /// @param to Receiver of the new tokens.
    /// @param amount Number of tokens (18 decimals) to create.
    function mint(address to, uint256 amount) external;
}
