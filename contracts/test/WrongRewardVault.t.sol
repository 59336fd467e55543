// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IRoundLedger} from "../interfaces/IRoundLedger.sol";

/// @notice A deliberately wrong vault for the tests: it pays cumulative claims under any committed
///         root, pending or not, with no bound on the total (the vault as it was before finality and
///         budgets). The budget invariant must catch it.
contract WrongRewardVault {
    IERC20 internal immutable _token;
    IRoundLedger internal immutable _ledger;
    mapping(address owner => uint256) internal _paid;
    /// @notice Everything paid so far.
    uint256 public totalPaid;

    /// @notice The proof does not lead to the round's root.
    error BadProof();

    constructor(IERC20 token, IRoundLedger ledger) {
        _token = token;
        _ledger = ledger;
    }

    /// @notice Pays `owner` its cumulative reward under round `roundId`'s root, less what it was paid.
    function claim(uint256 roundId, address owner, uint256 reward, uint256 samples, uint256 rounds, bytes32[] calldata proof)
        external
    {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(owner, reward, samples, rounds))));
        if (!MerkleProof.verifyCalldata(proof, _ledger.rewardsRootOf(roundId), leaf)) revert BadProof();
        uint256 payout = reward - _paid[owner];
        _paid[owner] = reward;
        totalPaid += payout;
        // GradToken reverts on failure; its boolean is always true.
        _token.transfer(owner, payout);
    }
}
