import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeFunctionData, keccak256, parseEther, toHex, zeroHash, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  ChainInputError,
  connectGradnet,
  ContractRevertError,
  DEPLOY_DEFAULTS,
  nodeRegistryAbi,
  startDevnet,
  VERDICT_CODES,
  type Devnet,
  type GradnetChain,
  type RoundRecord,
} from '../../../core/chain/index.ts';
import { gradnetDomain, signVerdict, verdictDigest } from '../../../core/protocol/index.ts';

// ChallengesClient, the ledger's finality and void reads, and TimelockClient on a devnet whose
// challenge window (60 s) leaves time to challenge and whose timelock waits one second.

const AUDITOR_KEY = keccak256(toHex('challenges test auditor'));

function record(roundId: number, parentHash: Hex, label: string): RoundRecord {
  return {
    roundId,
    modelHash: keccak256(toHex(`model ${label}`)),
    parentHash,
    updatesRoot: zeroHash,
    rewardsRoot: keccak256(toHex(`rewards ${label}`)),
    contributors: 1,
    totalSamples: 600,
    loss: 1,
    accuracy: 1,
    rewardBudget: parseEther('1'),
  };
}

describe('ChallengesClient, round status and TimelockClient on a devnet', () => {
  let dir: string;
  let devnet: Devnet;
  let coordinator: GradnetChain;
  let challenger: GradnetChain;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-challenges-'));
    devnet = await startDevnet({ port: 0, accounts: 3, deploy: { deploymentsFile: join(dir, '31337.json'), challengeWindowSeconds: 60, timelockDelaySeconds: 1 } });
    const connect = (key: Hex): Promise<GradnetChain> => connectGradnet({ rpcUrl: devnet.rpcUrl, account: key, deployments: devnet.deployments });
    [coordinator, challenger] = [await connect(devnet.accounts[0].privateKey), await connect(devnet.accounts[2].privateKey)];
    const auditorOwner = await connect(devnet.accounts[1].privateKey);
    await auditorOwner.registryClient.register(privateKeyToAccount(AUDITOR_KEY), parseEther('100'));
  });
  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('voids a pending round on a verdict, lists the voided commit and reads the round back after it is committed again', async () => {
    const bad = record(1, await coordinator.ledger.latestModelHash(), 'bad');
    await coordinator.ledger.commitRound(bad);
    assert.equal(await coordinator.ledger.roundStatus(1), 'pending');
    assert.equal(await coordinator.ledger.committerOf(1), devnet.accounts[0].address);
    assert.ok((await coordinator.ledger.committedAt(1)) > 0);
    const domain = gradnetDomain(devnet.chainId, devnet.deployments.contracts.RoundLedger.address);
    const signed = await signVerdict({ privateKey: AUDITOR_KEY, domain, round: 1, modelHash: bad.modelHash, rewardsRoot: bad.rewardsRoot, verdict: 'unavailable' });
    const submission = { nodeKey: signed.nodeKey, verdict: VERDICT_CODES.unavailable, signature: signed.signature };
    assert.equal(await challenger.challenges.verdictDigest({ roundId: 1, modelHash: bad.modelHash, rewardsRoot: bad.rewardsRoot, verdict: VERDICT_CODES.unavailable }), verdictDigest(signed, domain));
    assert.equal(await challenger.registry.activeStakeOf(signed.nodeKey), parseEther('100'));
    assert.equal(await challenger.registry.totalActiveStake(), parseEther('100'));
    assert.equal(await challenger.registryClient.totalActiveStake(), parseEther('100'));
    assert.equal(await challenger.registryClient.activeStakeOf(signed.nodeKey), parseEther('100'));
    assert.equal(await challenger.registryClient.activeStakeOf(devnet.accounts[1].address), 0n, 'an owner is not a node key');

    // The same verdict twice counts once (the client sorts and dedupes by node key).
    const { challenged } = await challenger.challenges.challengeRound(1, [submission, submission]);
    const share = (DEPLOY_DEFAULTS.coordinatorBond * BigInt(DEPLOY_DEFAULTS.challengerShareBps)) / 10_000n;
    assert.deepEqual(
      { roundId: challenged.roundId, throughRound: challenged.throughRound, verdicts: challenged.verdicts, bondSlashed: challenged.bondSlashed, challengerShare: challenged.challengerShare },
      { roundId: 1n, throughRound: 1n, verdicts: 1n, bondSlashed: DEPLOY_DEFAULTS.coordinatorBond, challengerShare: share },
    );
    assert.equal(await coordinator.ledger.roundCount(), 0);
    assert.equal(await coordinator.challenges.bondOf(devnet.accounts[0].address), 0n);

    const good = record(1, await coordinator.ledger.latestModelHash(), 'good');
    await coordinator.ledger.commitRound(good);
    const [voided] = await coordinator.ledger.listVoidedRounds();
    assert.equal(voided.modelHash, bad.modelHash);
    assert.equal(voided.roundId, 1);
    assert.ok(voided.voidedInBlock > voided.blockNumber);
    const [current] = await coordinator.ledger.listRounds();
    assert.equal(current.modelHash, good.modelHash);
    assert.equal((await coordinator.ledger.getRound(1)).modelHash, good.modelHash);
    await assert.rejects(coordinator.ledger.roundStatus(2), ChainInputError);
    assert.equal(await coordinator.ledger.latestFinalRound(), 0, 'round 1 is in its 60 s window');
    // A minute later round 1 is final; rounds 2 and 3, committed now, are pending.
    await coordinator.clients.publicClient.request({ method: 'evm_increaseTime', params: [61] } as never);
    let parent = good.modelHash;
    for (const roundId of [2, 3]) {
      const next = record(roundId, parent, `good ${roundId}`);
      await coordinator.ledger.commitRound(next);
      parent = next.modelHash;
    }
    assert.equal(await coordinator.ledger.latestFinalRound(), 1);
    assert.equal(await coordinator.ledger.roundStatus(1), 'final');
    assert.equal(await coordinator.ledger.roundStatus(3), 'pending');
    assert.equal(await coordinator.ledger.roundStatus(0), 'final');
    assert.equal(await coordinator.ledger.challengeWindow(), 60);
  });

  it('posts a bond for the coordinator (approving first) and refuses to return it to the current coordinator', async () => {
    await coordinator.challenges.postBond(parseEther('3'));
    assert.equal(await challenger.challenges.bondOf(devnet.accounts[0].address), parseEther('3'));
    await assert.rejects(coordinator.challenges.withdrawBond(parseEther('3')), (error: unknown) => error instanceof ContractRevertError && error.errorName === 'BondLocked');
    assert.equal(await challenger.challenges.thresholdBps(), DEPLOY_DEFAULTS.challengeThresholdBps);
    assert.equal(await challenger.challenges.challengerShareBps(), DEPLOY_DEFAULTS.challengerShareBps);
    assert.throws(() => challenger.challenges.challengeRound(0, []), ChainInputError);
    assert.throws(() => challenger.challenges.challengeRound(1, [{ nodeKey: devnet.accounts[0].address, verdict: 256, signature: '0x' }]), ChainInputError);
  });

  it('runs an admin call through the timelock after its delay', async () => {
    assert.equal(await coordinator.timelock.minDelay(), 1);
    const data = encodeFunctionData({ abi: nodeRegistryAbi, functionName: 'setMinStake', args: [parseEther('7')] });
    const started = Date.now();
    await coordinator.timelock.run(devnet.deployments.contracts.NodeRegistry.address, data);
    assert.ok(Date.now() - started >= 1_000, 'waited the delay');
    assert.equal(await coordinator.registry.minStake(), parseEther('7'));
  });
});
