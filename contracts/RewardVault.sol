// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRewardVault} from "./interfaces/IRewardVault.sol";
import {IRoundLedger} from "./interfaces/IRoundLedger.sol";

/// @title RewardVault
/// @notice Holds the reward tokens and pays cumulative Merkle claims. See {IRewardVault}.
/// @dev The vault is funded up front (the deployment mints the reward pool to it; anyone may top
///      it up with a plain transfer) rather than by a mint in every `commitRound`, which keeps the
///      ledger's commit free of token calls. The ledger's `totalRewardBudget` says how much the
///      committed rounds have promised; keep the vault's balance above what is still unclaimed.
///      Claims are paid only under final rounds (past their challenge window), and their total never
///      exceeds the cumulative budget of the final rounds: a rewards root that over-promises pays at
///      most what the rounds declared, so one bad commit cannot drain the pool.
contract RewardVault is IRewardVault {
    using SafeERC20 for IERC20;

    // One slot per owner. `open` is set by `openAccount` (the registry calls it when the owner first
    // registers) and by every claim, so that an owner's first claim rewrites its slot (about 5k gas)
    // instead of creating it (about 22k). Rounds fit 56 bits: the ledger's round ids are 32-bit.
    struct Account {
        uint128 reward;
        uint64 samples;
        uint56 rounds;
        bool open;
    }

    /// @notice The reward token.
    IERC20 public immutable token;
    /// @notice The ledger whose rewards roots prove claims.
    IRoundLedger public immutable ledger;

    mapping(address owner => Account) private _accounts;
    // Everything paid so far, plus one: the slot is never zero, so each payout rewrites it (about 5k
    // gas) instead of the first one creating it (about 22k).
    uint256 private _paidPlusOne = 1;

    /// @param rewardToken The reward token.
    /// @param roundLedger The ledger.
    constructor(IERC20 rewardToken, IRoundLedger roundLedger) {
        if (address(rewardToken) == address(0)) revert ZeroAddress("token");
        if (address(roundLedger) == address(0)) revert ZeroAddress("ledger");
        token = rewardToken;
        ledger = roundLedger;
    }

    /// @inheritdoc IRewardVault
    function claim(
        uint256 roundId,
        address owner,
        uint256 cumulativeReward,
        uint256 cumulativeSamples,
        uint256 cumulativeRounds,
        bytes32[] calldata proof
    ) external {
        IRoundLedger.ClaimTerms memory terms = ledger.claimTermsOf(roundId);
        if (terms.rewardsRoot == bytes32(0)) revert NoRewardsRoot(roundId);
        if (!terms.isFinal) revert RoundNotFinal(roundId);
        bytes32 leaf = keccak256(
            bytes.concat(keccak256(abi.encode(owner, cumulativeReward, cumulativeSamples, cumulativeRounds)))
        );
        if (!MerkleProof.verifyCalldata(proof, terms.rewardsRoot, leaf)) revert InvalidProof(roundId, owner);

        Account memory account = _accounts[owner];
        if (cumulativeReward < account.reward) {
            revert RewardBelowClaimed(owner, cumulativeReward, account.reward);
        }
        if (cumulativeSamples < account.samples || cumulativeRounds < account.rounds) {
            revert ContributionBelowRecorded(
                owner, cumulativeSamples, account.samples, cumulativeRounds, account.rounds
            );
        }
        uint256 payout = cumulativeReward - account.reward;
        if (payout == 0 && cumulativeSamples == account.samples && cumulativeRounds == account.rounds) {
            revert NothingToClaim(owner, roundId);
        }

        if (payout > 0) {
            uint256 paidPlusOne = _paidPlusOne + payout;
            if (paidPlusOne - 1 > terms.finalBudget) {
                revert ClaimExceedsBudget(roundId, paidPlusOne - 1, terms.finalBudget);
            }
            _paidPlusOne = paidPlusOne;
        }
        _accounts[owner] = Account({
            reward: SafeCast.toUint128(cumulativeReward),
            samples: SafeCast.toUint64(cumulativeSamples),
            rounds: SafeCast.toUint56(cumulativeRounds),
            open: true
        });
        emit RewardClaimed(owner, roundId, payout, cumulativeReward, cumulativeSamples, cumulativeRounds);
        if (payout > 0) token.safeTransfer(owner, payout);
    }

    /// @inheritdoc IRewardVault
    function openAccount(address owner) external {
        Account storage account = _accounts[owner];
        if (!account.open) account.open = true;
    }

    /// @inheritdoc IRewardVault
    function totalPaid() external view returns (uint256) {
        return _paidPlusOne - 1;
    }

    /// @inheritdoc IRewardVault
    function claimed(address owner) external view returns (ClaimedInfo memory) {
        Account memory account = _accounts[owner];
        return ClaimedInfo({reward: account.reward, samples: account.samples, rounds: account.rounds});
    }
}
