// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title GradnetTimelock
/// @notice OpenZeppelin's TimelockController, named here so the deployment can build it: it holds
///         DEFAULT_ADMIN_ROLE on every gradnet contract, so each admin action is proposed, waits
///         `getMinDelay()` seconds in public view, and only then executes.
contract GradnetTimelock is TimelockController {
    /// @param minDelay Seconds between scheduling and executing an operation.
    /// @param proposers Accounts that may schedule (and cancel) operations.
    /// @param executors Accounts that may execute ready operations (the zero address: anyone).
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors)
        TimelockController(minDelay, proposers, executors, address(0))
    {}
}
