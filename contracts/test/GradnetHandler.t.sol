// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GradToken} from "../GradToken.sol";
import {NodeRegistry} from "../NodeRegistry.sol";
import {RewardVault} from "../RewardVault.sol";
import {RoundChallenges} from "../RoundChallenges.sol";
import {RoundLedger} from "../RoundLedger.sol";
import {IRoundChallenges} from "../interfaces/IRoundChallenges.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IRoundLedger} from "../interfaces/IRoundLedger.sol";
import {GradnetSigner} from "./GradnetSigner.t.sol";

/// @notice Random sequences of staking, slashing by proof, rounds (whose trees may promise more than their
///         budgets), bonds, challenges that void pending rounds, the passing of time, vault accounts opened by a
///         stranger and claims by three owners. Actors
///         0 and 1 may equivocate; actor 2 is honest (one update per round) and is attacked with its
///         own updates and forgeries. It holds the coordinator and minter roles; ghost variables
///         record what it paid and promised.
contract GradnetHandler is GradnetSigner {
    bytes32 internal constant BASE = keccak256("handler base model");
    address public constant REPORTER = address(0x5EE);
    address public constant CHALLENGER = address(0xC4A1);
    address internal constant HONEST = address(0xA3);

    GradToken public immutable token;
    NodeRegistry public immutable registry;
    RoundLedger public immutable ledger;
    RewardVault public immutable vault;
    RoundChallenges public immutable challenges;

    address[3] public actors = [address(0xA1), address(0xA2), address(0xA3)];

    struct Figures {
        uint256 reward;
        uint256 samples;
        uint256 rounds;
    }

    /// Cumulative figures of actors 0 and 1 in each committed round's two-leaf tree.
    mapping(uint256 roundId => Figures[2]) internal _trees;
    mapping(address owner => uint256) internal _nodePrivateKey;
    uint256 public ghostMinted;
    uint256 public ghostSlashed;
    uint256 public ghostBounties;
    bool public ghostHonestSlashed;
    uint256[3] public ghostReceivedFromVault;
    uint256 public ghostBondsPosted;
    uint256 public ghostBondsSlashed;
    uint256 public ghostChallengerShares;
    Figures[2] public latest;

    constructor(
        GradToken token_,
        NodeRegistry registry_,
        RoundLedger ledger_,
        RewardVault vault_,
        RoundChallenges challenges_
    ) {
        token = token_;
        registry = registry_;
        ledger = ledger_;
        vault = vault_;
        challenges = challenges_;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % 3];
    }

    function _bound(uint256 value, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (value % (max - min + 1));
    }

    function register(uint256 seed, uint256 stake, uint256 keySeed) external {
        address owner = _actor(seed);
        if (registry.nodeOf(owner).nodeKey != address(0)) return;
        uint256 privateKey = _privateKey(abi.encode("key", keySeed));
        if (registry.ownerOf(VM.addr(privateKey)) != address(0)) return;
        stake = _bound(stake, registry.minStake(), 1_000 ether);
        token.mint(owner, stake);
        ghostMinted += stake;
        VM.prank(owner);
        token.approve(address(registry), stake);
        _registerSigned(registry, owner, privateKey, stake);
        _nodePrivateKey[owner] = privateKey;
    }

    function increaseStake(uint256 seed, uint256 amount) external {
        address owner = _actor(seed);
        if (registry.nodeOf(owner).nodeKey == address(0) || registry.nodeOf(owner).unbondingEndsAt != 0) return;
        amount = _bound(amount, 1, 100 ether);
        token.mint(owner, amount);
        ghostMinted += amount;
        VM.prank(owner);
        token.approve(address(registry), amount);
        VM.prank(owner);
        registry.increaseStake(amount);
    }

    function exitAndWithdraw(uint256 seed, bool wait) external {
        address owner = _actor(seed);
        NodeRegistry.NodeInfo memory node = registry.nodeOf(owner);
        if (node.nodeKey == address(0)) return;
        if (node.unbondingEndsAt == 0) {
            VM.prank(owner);
            registry.requestExit();
        }
        if (!wait) return;
        VM.warp(block.timestamp + registry.unbondingPeriod());
        VM.prank(owner);
        registry.withdraw();
    }

    /// Actor 0 or 1 signs two different updates for `round`; the reporter proves it.
    function equivocate(uint256 seed, uint64 round) external {
        address owner = actors[seed % 2];
        NodeRegistry.NodeInfo memory node = registry.nodeOf(owner);
        if (node.nodeKey == address(0) || node.stake == 0 || registry.slashedFor(node.nodeKey, round)) return;
        uint256 privateKey = _nodePrivateKey[owner];
        INodeRegistry.Update memory first = _update(privateKey, round, BASE, 1);
        INodeRegistry.Update memory second = _update(privateKey, round, BASE, 2);
        bytes memory firstSignature = _signUpdate(registry, privateKey, first);
        bytes memory secondSignature = _signUpdate(registry, privateKey, second);
        uint256 balanceBefore = token.balanceOf(REPORTER);
        VM.prank(REPORTER);
        registry.slashEquivocation(first, firstSignature, second, secondSignature);
        ghostSlashed += node.stake;
        ghostBounties += token.balanceOf(REPORTER) - balanceBefore;
    }

    /// Tries to slash the honest actor with two of its updates (one per round: round `r` always gets the
    /// same update), or with an update another key signed in its name; any success is recorded.
    function attackHonest(uint64 roundA, uint64 roundB, uint256 attackerSeed) external {
        uint256 privateKey = _nodePrivateKey[HONEST];
        if (privateKey == 0) return;
        INodeRegistry.Update memory first = _update(privateKey, roundA, BASE, roundA);
        INodeRegistry.Update memory second = _update(privateKey, roundB, BASE, roundB);
        bytes memory firstSignature = _signUpdate(registry, privateKey, first);
        try registry.slashEquivocation(first, firstSignature, second, _signUpdate(registry, privateKey, second)) {
            ghostHonestSlashed = true;
        } catch {}
        INodeRegistry.Update memory impostor = _update(privateKey, roundA, BASE, uint256(roundA) + 1);
        uint256 attackerKey = _privateKey(abi.encode("attacker", attackerSeed));
        try registry.slashEquivocation(first, firstSignature, impostor, _signUpdate(registry, attackerKey, impostor)) {
            ghostHonestSlashed = true;
        } catch {}
    }

    /// Commits a round whose tree grows actors 0 and 1's cumulative figures.
    function commitRound(uint256 grow0, uint256 grow1, uint256 budget) external {
        latest[0].reward += _bound(grow0, 0, 500 ether);
        latest[1].reward += _bound(grow1, 0, 500 ether);
        for (uint256 i = 0; i < 2; ++i) {
            latest[i].samples += 100;
            ++latest[i].rounds;
        }
        uint256 roundId = ledger.roundCount() + 1;
        _trees[roundId][0] = latest[0];
        _trees[roundId][1] = latest[1];
        ledger.commitRound(
            IRoundLedger.RoundRecord({
                roundId: roundId,
                modelHash: keccak256(abi.encode("model", roundId)),
                parentHash: ledger.latestModelHash(),
                updatesRoot: bytes32(0),
                rewardsRoot: _rootOf(roundId),
                contributors: 2,
                totalSamples: 200,
                loss: 1,
                accuracy: 1,
                rewardBudget: uint128(_bound(budget, 0, ledger.maxRewardBudget()))
            })
        );
    }

    /// Posts a bond for the coordinator (this handler).
    function postBond(uint256 amount) external {
        amount = _bound(amount, 1, 1_000 ether);
        token.mint(address(this), amount);
        ghostMinted += amount;
        token.approve(address(challenges), amount);
        challenges.postBond(amount);
        ghostBondsPosted += amount;
    }

    /// The actors' active nodes sign mismatch verdicts against the latest round; while it is pending the
    /// challenge voids it, slashes the bond, and the figures go back to the previous round's tree.
    function challengeLatest() external {
        uint256 roundId = ledger.roundCount();
        if (roundId == 0 || ledger.isFinal(roundId)) return;
        IRoundChallenges.SignedVerdict[] memory verdicts = _verdictsAgainst(roundId);
        uint256 bond = challenges.bondOf(address(this));
        uint256 before = token.balanceOf(CHALLENGER);
        VM.prank(CHALLENGER);
        try challenges.challengeRound(roundId, verdicts) {
            ghostBondsSlashed += bond;
            ghostChallengerShares += token.balanceOf(CHALLENGER) - before;
            latest[0] = _trees[roundId - 1][0];
            latest[1] = _trees[roundId - 1][1];
        } catch {}
    }

    /// Lets time pass, so that pending rounds become final (or not quite).
    function passTime(uint256 secondsToPass) external {
        VM.warp(block.timestamp + _bound(secondsToPass, 0, 2 * ledger.challengeWindow()));
    }

    /// Claims for actor 0 or 1 under any committed round, old roots included; a rejected claim is fine.
    function claim(uint256 seed, uint256 roundSeed) external {
        uint256 count = ledger.roundCount();
        if (count == 0) return;
        uint256 roundId = _bound(roundSeed, 1, count);
        uint256 who = seed % 2;
        Figures memory f = _trees[roundId][who];
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = _leafOf(roundId, 1 - who);
        uint256 before = token.balanceOf(actors[who]);
        try vault.claim(roundId, actors[who], f.reward, f.samples, f.rounds, proof) {
            ghostReceivedFromVault[who] += token.balanceOf(actors[who]) - before;
        } catch {
            return;
        }
    }

    /// A stranger opens an actor's vault account at any moment (before, between or after its claims).
    function openAccount(uint256 seed) external {
        VM.prank(CHALLENGER);
        vault.openAccount(_actor(seed));
    }

    /// Mismatch verdicts on `roundId` by every actor whose node is active, in increasing key order.
    function _verdictsAgainst(uint256 roundId) internal returns (IRoundChallenges.SignedVerdict[] memory verdicts) {
        RoundLedger.StoredRound memory round = ledger.getRound(roundId);
        bytes32 digest = challenges.verdictDigest(roundId, round.modelHash, round.rewardsRoot, 1);
        uint256[3] memory keys;
        uint256 count = 0;
        for (uint256 i = 0; i < 3; ++i) {
            uint256 privateKey = _nodePrivateKey[actors[i]];
            if (privateKey == 0 || !registry.isActive(VM.addr(privateKey))) continue;
            // Insertion by address keeps the verdicts sorted.
            uint256 j = count++;
            while (j > 0 && VM.addr(keys[j - 1]) > VM.addr(privateKey)) {
                keys[j] = keys[j - 1];
                --j;
            }
            keys[j] = privateKey;
        }
        verdicts = new IRoundChallenges.SignedVerdict[](count);
        for (uint256 i = 0; i < count; ++i) {
            verdicts[i] = IRoundChallenges.SignedVerdict({nodeKey: VM.addr(keys[i]), verdict: 1, signature: _sign(keys[i], digest)});
        }
    }

    function _leafOf(uint256 roundId, uint256 who) internal view returns (bytes32) {
        Figures memory f = _trees[roundId][who];
        return keccak256(bytes.concat(keccak256(abi.encode(actors[who], f.reward, f.samples, f.rounds))));
    }

    function _rootOf(uint256 roundId) internal view returns (bytes32) {
        bytes32 a = _leafOf(roundId, 0);
        bytes32 b = _leafOf(roundId, 1);
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }
}
