import assert from 'node:assert/strict';
import hre from 'hardhat';
import { encodeFunctionData, getAddress, getContract, parseEther, zeroAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { roundChallengesAbi, roundLedgerAbi, signNodeKeyBinding, VERDICT_CODES } from '../../core/chain/index.ts';
import { gradnetDomain, signVerdict, verdictDigest, type VerdictKind } from '../../core/protocol/index.ts';
import {
  CHALLENGE_WINDOW,
  CHALLENGER_SHARE_BPS,
  COORDINATOR_BOND,
  finalize,
  deployGradnet,
  govern,
  hash,
  MIN_STAKE,
  networkHelpers,
  ROLES,
  roundRecord,
  THRESHOLD_BPS,
  TIMELOCK_DELAY,
  VAULT_FUNDING,
  viem,
  type Gradnet,
  type RoundArgs,
  ZERO_HASH,
} from './fixture.ts';

type Wallet = Gradnet['alice'];

// Coverage runs instrumented bytecode, whose gas means nothing.
const itMeasuresGas = hre.globalOptions.coverage === true ? it.skip : it;

/** An auditing node: its owner wallet and its node key. */
interface Auditor {
  owner: Wallet;
  privateKey: Hex;
  address: Address;
}

/** Three auditors (alice, bob, carol) with 100 GRAD each, and round 1 (a bad one) committed and pending. */
async function challengeFixture() {
  const g = await deployGradnet();
  const auditors: Auditor[] = [];
  for (const [i, owner] of [g.alice, g.bob, g.carol].entries()) {
    const privateKey = hash(`auditor ${i}`);
    const account = privateKeyToAccount(privateKey);
    const signature = await signNodeKeyBinding(account, { owner: owner.account.address, chainId: await g.publicClient.getChainId(), registry: g.registry.address });
    await g.registry.write.register([account.address, MIN_STAKE, signature], { account: owner.account });
    auditors.push({ owner, privateKey, address: account.address });
  }
  auditors.sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const round1 = roundRecord(1, await g.ledger.read.latestModelHash(), { modelHash: hash('wrong model 1') });
  await g.ledger.write.commitRound([round1], { account: g.coordinator.account });
  return { ...g, auditors, round1 };
}

type Fixture = Awaited<ReturnType<typeof challengeFixture>>;

/** A verdict in the contract's shape (`verdict` any uint8, to test codes that are not against). */
interface Submission {
  nodeKey: Address;
  verdict: number;
  signature: Hex;
}

/** `auditor`'s verdict on `round` as a daemon signs it (core/protocol's signVerdict), in the contract's shape. */
async function verdict(g: Gradnet, auditor: Auditor, round: RoundArgs, kind: VerdictKind = 'mismatch'): Promise<Submission> {
  const domain = gradnetDomain(await g.publicClient.getChainId(), g.ledger.address);
  const signed = await signVerdict({ privateKey: auditor.privateKey, domain, round: Number(round.roundId), modelHash: round.modelHash, rewardsRoot: round.rewardsRoot, verdict: kind });
  return { nodeKey: signed.nodeKey, verdict: VERDICT_CODES[kind], signature: signed.signature };
}

function challenge(g: Fixture, roundId: bigint, verdicts: Submission[], by: Wallet = g.outsider): Promise<Hex> {
  return g.challenges.write.challengeRound([roundId, verdicts], { account: by.account });
}

describe('RoundChallenges', () => {
  describe('deployment', () => {
    it('holds the coordinator bond posted at deployment and its fixed parameters', async () => {
      const { challenges, token, ledger, registry, vault, coordinator } = await networkHelpers.loadFixture(deployGradnet);
      assert.equal(await challenges.read.bondOf([coordinator.account.address]), COORDINATOR_BOND);
      assert.equal(await token.read.balanceOf([challenges.address]), COORDINATOR_BOND);
      assert.equal(await challenges.read.thresholdBps(), THRESHOLD_BPS);
      assert.equal(await challenges.read.challengerShareBps(), CHALLENGER_SHARE_BPS);
      assert.equal(await challenges.read.token(), getAddress(token.address));
      assert.equal(await challenges.read.ledger(), getAddress(ledger.address));
      assert.equal(await challenges.read.registry(), getAddress(registry.address));
      assert.equal(await challenges.read.rewardVault(), getAddress(vault.address));
    });

    it('refuses zero addresses and basis points out of range', async () => {
      const { challenges, token, ledger, registry, vault } = await networkHelpers.loadFixture(deployGradnet);
      const [t, l, r, v] = [token.address, ledger.address, registry.address, vault.address];
      const deploy = (args: readonly [Address, Address, Address, Address, bigint, bigint]) => viem.deployContract('RoundChallenges', [...args]);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([zeroAddress, l, r, v, 1n, 0n]), challenges, 'ZeroAddress', ['token']);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, zeroAddress, r, v, 1n, 0n]), challenges, 'ZeroAddress', ['ledger']);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, l, zeroAddress, v, 1n, 0n]), challenges, 'ZeroAddress', ['registry']);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, l, r, zeroAddress, 1n, 0n]), challenges, 'ZeroAddress', ['rewardVault']);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, l, r, v, 0n, 0n]), challenges, 'BpsOutOfRange', ['thresholdBps', 0n]);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, l, r, v, 10_001n, 0n]), challenges, 'BpsOutOfRange', ['thresholdBps', 10_001n]);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, l, r, v, 1n, 10_001n]), challenges, 'BpsOutOfRange', ['challengerShareBps', 10_001n]);
    });

    it('checks verdicts against the digest core/protocol signs', async () => {
      const g = await networkHelpers.loadFixture(challengeFixture);
      const domain = gradnetDomain(await g.publicClient.getChainId(), g.ledger.address);
      for (const kind of ['match', 'mismatch', 'unavailable'] as const) {
        const fields = { round: 1, modelHash: g.round1.modelHash, rewardsRoot: g.round1.rewardsRoot, verdict: kind };
        assert.equal(await g.challenges.read.verdictDigest([1n, fields.modelHash, fields.rewardsRoot, VERDICT_CODES[kind]]), verdictDigest(fields, domain));
      }
    });
  });

  describe('challengeRound', () => {
    it('voids the round and every later one on verdicts holding a third of the active stake, and slashes the bond', async () => {
      const g = await networkHelpers.loadFixture(challengeFixture);
      const round2 = roundRecord(2, g.round1.modelHash);
      await g.ledger.write.commitRound([round2], { account: g.coordinator.account });
      const [a, b] = g.auditors;
      const verdicts = [await verdict(g, a, g.round1, 'mismatch'), await verdict(g, b, g.round1, 'unavailable')];
      const share = (COORDINATOR_BOND * CHALLENGER_SHARE_BPS) / 10_000n;
      const before = { challenger: await g.token.read.balanceOf([g.outsider.account.address]), vault: await g.token.read.balanceOf([g.vault.address]) };
      const tx = challenge(g, 1n, verdicts);
      await viem.assertions.emitWithArgs(tx, g.challenges, 'RoundChallenged', [
        1n, 2n, getAddress(g.coordinator.account.address), getAddress(g.outsider.account.address), 2n, 2n * MIN_STAKE, 3n * MIN_STAKE, COORDINATOR_BOND, share,
      ]);
      const [voided] = await g.ledger.getEvents.RoundsVoided();
      assert.deepEqual(voided.args, { fromRound: 1n, throughRound: 2n, restoredModelHash: await g.ledger.read.genesisModelHash() });
      assert.equal(await g.ledger.read.roundCount(), 0n);
      assert.equal(await g.challenges.read.bondOf([g.coordinator.account.address]), 0n);
      assert.equal(await g.token.read.balanceOf([g.outsider.account.address]), before.challenger + share);
      assert.equal(await g.token.read.balanceOf([g.vault.address]), before.vault + COORDINATOR_BOND - share);
      assert.equal(await g.token.read.balanceOf([g.challenges.address]), 0n);
      // The coordinator carries on from the restored head; the voided round is not claimable, even final.
      const honest = roundRecord(1, await g.ledger.read.genesisModelHash(), { modelHash: hash('honest model 1') });
      await g.ledger.write.commitRound([honest], { account: g.coordinator.account });
      await finalize();
      assert.equal(await g.ledger.read.isFinal([1n]), true);
      assert.equal(await g.ledger.read.isFinal([2n]), false);
      // A challenge once the bond is gone still voids (nothing left to pay).
      const round2Again = roundRecord(2, honest.modelHash, { modelHash: hash('wrong model 2') });
      await g.ledger.write.commitRound([round2Again], { account: g.coordinator.account });
      await viem.assertions.emitWithArgs(challenge(g, 2n, [await verdict(g, a, round2Again), await verdict(g, b, round2Again)]), g.challenges, 'RoundChallenged', [
        2n, 2n, getAddress(g.coordinator.account.address), getAddress(g.outsider.account.address), 2n, 2n * MIN_STAKE, 3n * MIN_STAKE, 0n, 0n,
      ]);
    });

    it('needs verdicts holding at least thresholdBps of the total active stake', async () => {
      const g = await networkHelpers.loadFixture(challengeFixture);
      const need = (3n * MIN_STAKE * THRESHOLD_BPS + 9_999n) / 10_000n;
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 1n, [await verdict(g, g.auditors[0], g.round1)]), g.challenges, 'InsufficientStake', [MIN_STAKE, need]);
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 1n, []), g.challenges, 'InsufficientStake', [0n, need]);
      // Once two of the three exit, the remaining one holds all the active stake.
      for (const auditor of g.auditors.slice(1)) await g.registry.write.requestExit({ account: auditor.owner.account });
      assert.equal(await g.registry.read.totalActiveStake(), MIN_STAKE);
      await challenge(g, 1n, [await verdict(g, g.auditors[0], g.round1)]);
      assert.equal(await g.ledger.read.roundCount(), 0n);
    });

    it('refuses unknown, genesis and final rounds', async () => {
      const g = await networkHelpers.loadFixture(challengeFixture);
      const verdicts = [await verdict(g, g.auditors[0], g.round1), await verdict(g, g.auditors[1], g.round1)];
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 0n, verdicts), g.challenges, 'UnknownRound', [0n, 1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 2n, verdicts), g.challenges, 'UnknownRound', [2n, 1n]);
      await networkHelpers.time.increase(CHALLENGE_WINDOW);
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 1n, verdicts), g.challenges, 'RoundAlreadyFinal', [1n]);
    });

    it('refuses verdicts that are not against, forged, about another commit, unsorted, repeated or from inactive nodes', async () => {
      const g = await networkHelpers.loadFixture(challengeFixture);
      const [a, b, c] = g.auditors;
      const good = await verdict(g, b, g.round1);
      const match = await verdict(g, a, g.round1, 'match');
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 1n, [match, good]), g.challenges, 'VerdictNotAgainst', [getAddress(a.address), 0]);
      const unknownCode = { ...(await verdict(g, a, g.round1)), verdict: 3 };
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 1n, [unknownCode, good]), g.challenges, 'VerdictNotAgainst', [getAddress(a.address), 3]);
      // Signed by another key in a's name: recovers to that key.
      const forged = { ...(await verdict(g, c, g.round1)), nodeKey: getAddress(a.address) };
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 1n, [forged, good]), g.challenges, 'VerdictSignatureInvalid', [getAddress(a.address), getAddress(c.address)]);
      // A verdict about another model hash (or signed for another chain or ledger) recovers to someone else.
      const otherCommit = await verdict(g, a, { ...g.round1, modelHash: hash('the honest model') });
      await viem.assertions.revertWithCustomError(challenge(g, 1n, [otherCommit, good]), g.challenges, 'VerdictSignatureInvalid');
      const garbage = { ...(await verdict(g, a, g.round1)), signature: '0x1234' as Hex };
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 1n, [garbage, good]), g.challenges, 'VerdictSignatureInvalid', [getAddress(a.address), zeroAddress]);
      // Strictly increasing keys: no verdict counts twice.
      const first = await verdict(g, a, g.round1);
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 1n, [first, first]), g.challenges, 'VerdictsNotSorted', [1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 1n, [good, first]), g.challenges, 'VerdictsNotSorted', [1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        challenge(g, 1n, [{ ...first, nodeKey: zeroAddress }]),
        g.challenges,
        'VerdictsNotSorted',
        [0n],
      );
      // An exiting node's verdict, and a key that never registered, weigh nothing.
      await g.registry.write.requestExit({ account: a.owner.account });
      await viem.assertions.revertWithCustomErrorWithArgs(challenge(g, 1n, [first, good]), g.challenges, 'NodeNotActive', [getAddress(a.address)]);
      const strangerKey = hash('stranger');
      const domain = gradnetDomain(await g.publicClient.getChainId(), g.ledger.address);
      const stranger = await signVerdict({ privateKey: strangerKey, domain, round: 1, modelHash: g.round1.modelHash, rewardsRoot: g.round1.rewardsRoot, verdict: 'mismatch' });
      await viem.assertions.revertWithCustomErrorWithArgs(
        challenge(g, 1n, [{ nodeKey: stranger.nodeKey, verdict: 1, signature: stranger.signature }]),
        g.challenges,
        'NodeNotActive',
        [stranger.nodeKey],
      );
    });

    it('slashes the bond of the coordinator that committed the round, not its successor', async () => {
      const g = await networkHelpers.loadFixture(challengeFixture);
      await govern(g, g.ledger.address, encodeFunctionData({ abi: g.ledger.abi, functionName: 'setCoordinator', args: [g.dave.account.address] }));
      await g.token.write.approve([g.challenges.address, parseEther('50')], { account: g.dave.account });
      await g.challenges.write.postBond([parseEther('50')], { account: g.dave.account });
      assert.equal(await g.challenges.read.bondOf([g.dave.account.address]), parseEther('50'));
      // The timelock took a day: round 1 is final by now, so commit a wrong round 2 as the old coordinator did not.
      const round2 = roundRecord(2, g.round1.modelHash, { modelHash: hash('wrong model 2') });
      await g.ledger.write.commitRound([round2], { account: g.dave.account });
      await viem.assertions.emitWithArgs(
        challenge(g, 2n, [await verdict(g, g.auditors[0], round2), await verdict(g, g.auditors[1], round2)]),
        g.challenges,
        'RoundChallenged',
        [2n, 2n, getAddress(g.dave.account.address), getAddress(g.outsider.account.address), 2n, 2n * MIN_STAKE, 3n * MIN_STAKE, parseEther('50'), parseEther('10')],
      );
      assert.equal(await g.challenges.read.bondOf([g.coordinator.account.address]), COORDINATOR_BOND);
    });

    it('leaves the voided rounds committed by a previous coordinator to its bond', async () => {
      const g = await networkHelpers.loadFixture(deployGradnet);
      const client = { public: g.publicClient, wallet: g.admin };
      const deployedLedger = await viem.deployContract('RoundLedger', [g.admin.account.address, await g.ledger.read.genesisModelHash(), parseEther('1000'), CHALLENGE_WINDOW]);
      const ledger = getContract({ address: deployedLedger.address, abi: roundLedgerAbi, client });
      const deployedChallenges = await viem.deployContract('RoundChallenges', [g.token.address, ledger.address, g.registry.address, g.vault.address, 1n, 0n]);
      const challenges = getContract({ address: deployedChallenges.address, abi: roundChallengesAbi, client });
      await ledger.write.bindChallenges([challenges.address]);
      await ledger.write.setCoordinator([g.coordinator.account.address]);
      const round1 = roundRecord(1, await ledger.read.genesisModelHash());
      await ledger.write.commitRound([round1], { account: g.coordinator.account });
      await ledger.write.setCoordinator([g.dave.account.address]);
      assert.equal(await ledger.read.committerOf([1n]), getAddress(g.coordinator.account.address));
      assert.equal(await ledger.read.committerOf([2n]), getAddress(g.dave.account.address));
      // A key registered in the shared registry signs in this ledger's domain.
      const privateKey = hash('lone auditor');
      const account = privateKeyToAccount(privateKey);
      await g.registry.write.register([account.address, MIN_STAKE, await signNodeKeyBinding(account, { owner: g.alice.account.address, chainId: await g.publicClient.getChainId(), registry: g.registry.address })], { account: g.alice.account });
      const domain = gradnetDomain(await g.publicClient.getChainId(), ledger.address);
      const signed = await signVerdict({ privateKey, domain, round: 1, modelHash: round1.modelHash, rewardsRoot: round1.rewardsRoot, verdict: 'mismatch' });
      await viem.assertions.emitWithArgs(
        challenges.write.challengeRound([1n, [{ nodeKey: signed.nodeKey, verdict: 1, signature: signed.signature }]], { account: g.outsider.account }),
        challenges,
        'RoundChallenged',
        [1n, 1n, getAddress(g.coordinator.account.address), getAddress(g.outsider.account.address), 1n, MIN_STAKE, MIN_STAKE, 0n, 0n],
      );
      // The round goes back to the current coordinator, who commits it again.
      assert.equal(await ledger.read.committerOf([1n]), getAddress(g.dave.account.address));
    });
  });

  describe('gas', () => {
    itMeasuresGas('costs at most 20,000 gas per verdict', async () => {
      const gasOfChallenge = async (count: number): Promise<bigint> => {
        const g = await networkHelpers.loadFixture(challengeFixture);
        // Every count must pass the threshold: two of the three auditors leave when one verdict is measured.
        for (const auditor of g.auditors.slice(count)) await g.registry.write.requestExit({ account: auditor.owner.account });
        const verdicts = await Promise.all(g.auditors.slice(0, count).map((auditor) => verdict(g, auditor, g.round1)));
        return (await g.publicClient.getTransactionReceipt({ hash: await challenge(g, 1n, verdicts) })).gasUsed;
      };
      const [one, three] = [await gasOfChallenge(1), await gasOfChallenge(3)];
      const perVerdict = (three - one) / 2n;
      assert.ok(perVerdict <= 20_000n, `challengeRound used ${one} gas with 1 verdict and ${three} with 3: ${perVerdict} per verdict`);
    });
  });

  describe('bonds', () => {
    it('credits a posted bond to the current coordinator, whoever pays', async () => {
      const { challenges, token, alice, coordinator } = await networkHelpers.loadFixture(deployGradnet);
      await token.write.approve([challenges.address, parseEther('7')], { account: alice.account });
      await viem.assertions.emitWithArgs(
        challenges.write.postBond([parseEther('7')], { account: alice.account }),
        challenges,
        'BondPosted',
        [getAddress(coordinator.account.address), getAddress(alice.account.address), parseEther('7'), COORDINATOR_BOND + parseEther('7')],
      );
      await viem.assertions.revertWithCustomError(challenges.write.postBond([0n], { account: alice.account }), challenges, 'ZeroAmount');
    });

    it('refuses a bond while the ledger has no coordinator', async () => {
      const g = await networkHelpers.loadFixture(deployGradnet);
      await govern(g, g.ledger.address, encodeFunctionData({ abi: g.ledger.abi, functionName: 'revokeRole', args: [ROLES.coordinator, g.coordinator.account.address] }));
      await viem.assertions.revertWithCustomError(g.challenges.write.postBond([1n], { account: g.alice.account }), g.challenges, 'NoCoordinator');
    });

    it('returns a former coordinator its bond once its own rounds are final, never the current one', async () => {
      const g = await networkHelpers.loadFixture(deployGradnet);
      const { challenges, coordinator } = g;
      await viem.assertions.revertWithCustomErrorWithArgs(challenges.write.withdrawBond([1n], { account: coordinator.account }), challenges, 'BondLocked', [getAddress(coordinator.account.address)]);
      // The move to dave waits a day in the timelock; the old coordinator commits round 1 just before it runs.
      const move = encodeFunctionData({ abi: g.ledger.abi, functionName: 'setCoordinator', args: [g.dave.account.address] });
      await g.timelock.write.schedule([g.ledger.address, 0n, move, ZERO_HASH, ZERO_HASH, TIMELOCK_DELAY], { account: g.admin.account });
      await networkHelpers.time.increase(TIMELOCK_DELAY);
      const round1 = roundRecord(1, await g.ledger.read.latestModelHash());
      await g.ledger.write.commitRound([round1], { account: coordinator.account });
      await g.timelock.write.execute([g.ledger.address, 0n, move, ZERO_HASH, ZERO_HASH], { account: g.admin.account });
      assert.equal(await g.ledger.read.coordinatorSince(), 2n);
      // Its round 1 is pending: a challenge could still take the bond.
      await viem.assertions.revertWithCustomErrorWithArgs(challenges.write.withdrawBond([1n], { account: coordinator.account }), challenges, 'BondLocked', [getAddress(coordinator.account.address)]);
      await finalize();
      // Dave's rounds, pending or not, no longer hold the old coordinator's bond back.
      await g.ledger.write.commitRound([roundRecord(2, round1.modelHash)], { account: g.dave.account });
      await viem.assertions.revertWithCustomError(challenges.write.withdrawBond([0n], { account: coordinator.account }), challenges, 'ZeroAmount');
      await viem.assertions.revertWithCustomErrorWithArgs(challenges.write.withdrawBond([COORDINATOR_BOND + 1n], { account: coordinator.account }), challenges, 'BondTooSmall', [COORDINATOR_BOND + 1n, COORDINATOR_BOND]);
      const before = await g.token.read.balanceOf([coordinator.account.address]);
      await viem.assertions.emitWithArgs(challenges.write.withdrawBond([COORDINATOR_BOND], { account: coordinator.account }), challenges, 'BondWithdrawn', [getAddress(coordinator.account.address), COORDINATOR_BOND]);
      assert.equal(await g.token.read.balanceOf([coordinator.account.address]), before + COORDINATOR_BOND);
      assert.equal(await challenges.read.bondOf([coordinator.account.address]), 0n);
      assert.equal(await g.token.read.balanceOf([g.vault.address]), VAULT_FUNDING);
    });
  });
});
