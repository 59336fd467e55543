import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { keccak256, parseEther, toHex, zeroHash, type Address, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  ChainInputError,
  connectGradnet,
  ContractRevertError,
  LedgerClient,
  NoAccountError,
  RegistryReader,
  ROLES,
  startDevnet,
  TransactionTimeoutError,
  type Devnet,
  type GradnetChain,
  type RoundRecord,
} from '../../../core/chain/index.ts';
import { gradnetDomain, signUpdate } from '../../../core/protocol/index.ts';
import { FixedPointError, fromFixedPoint, toFixedPoint } from '../../../core/units/index.ts';

const nodePrivateKey = (label: string): Hex => keccak256(toHex(label));
const nodeKey = (label: string): LocalAccount => privateKeyToAccount(nodePrivateKey(label));

describe('contract wrappers on a devnet', () => {
  let dir: string;
  let devnet: Devnet;
  let coordinator: GradnetChain;
  let owner: GradnetChain;
  let outsider: GradnetChain;
  let readOnly: GradnetChain;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-wrappers-'));
    // A one-second challenge window: the next block is at least a second later, so a round is final for the next transaction.
    devnet = await startDevnet({ port: 0, accounts: 3, deploy: { deploymentsFile: join(dir, '31337.json'), challengeWindowSeconds: 1 } });
    const connect = (account?: Hex): Promise<GradnetChain> => connectGradnet({ rpcUrl: devnet.rpcUrl, account, deployments: devnet.deployments });
    [coordinator, owner, outsider, readOnly] = await Promise.all([
      connect(devnet.accounts[0].privateKey),
      connect(devnet.accounts[1].privateKey),
      connect(devnet.accounts[2].privateKey),
      connect(),
    ]);
  });
  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('registers through RegistryClient (approving first) and reads it back through RegistryReader', async () => {
    const key = nodeKey('wrapper node');
    const sent = await owner.registryClient.register(key, parseEther('100'));
    assert.ok(sent.gasUsed > 0n);
    assert.equal(await owner.registry.isActive(key.address), true);
    assert.equal(await owner.registry.ownerOf(key.address), devnet.accounts[1].address);
    assert.equal(await owner.registry.ownerOf(nodeKey('unknown').address), undefined);
    const [node] = await owner.registry.listNodes();
    assert.deepEqual(node, { owner: devnet.accounts[1].address, nodeKey: key.address, stake: parseEther('100'), unbondingEndsAt: 0, active: true });
    assert.deepEqual(await owner.registry.nodeOf(devnet.accounts[1].address), node);
    assert.equal(await owner.registry.unbondingPeriod(), 3_600);
  });

  it('caches registry answers for the TTL and refreshes after it', async () => {
    let now = 0;
    const reader = new RegistryReader(readOnly.clients, devnet.deployments.contracts.NodeRegistry.address, { ttlMs: 1_000, now: () => now });
    const key = nodeKey('cached node').address;
    assert.equal(await reader.isActive(key), false);
    await outsider.registryClient.register(nodeKey('cached node'), parseEther('100'));
    assert.equal(await reader.isActive(key), false, 'still the cached answer');
    now = 1_001;
    assert.equal(await reader.isActive(key), true, 'refreshed after the TTL');
    await outsider.registryClient.requestExit();
    assert.equal(await reader.isActive(key), true);
    reader.invalidate();
    assert.equal(await reader.isActive(key), false, 'refreshed after invalidate');
  });

  it('commits rounds through LedgerClient and reads them back in full', async () => {
    const genesis = await coordinator.ledger.latestModelHash();
    assert.equal(await coordinator.ledger.genesisModelHash(), genesis);
    const record: RoundRecord = {
      roundId: 1,
      modelHash: keccak256(toHex('wrapper model 1')),
      parentHash: genesis,
      updatesRoot: keccak256(toHex('updates 1')),
      rewardsRoot: keccak256(toHex('rewards 1')),
      contributors: 7,
      totalSamples: 4_200,
      loss: toFixedPoint(0.4321),
      accuracy: toFixedPoint(0.8765),
      rewardBudget: parseEther('100'),
    };
    const sent = await coordinator.ledger.commitRound(record);
    assert.equal(sent.round.transactionHash, sent.hash);
    assert.equal(await coordinator.ledger.roundCount(), 1);
    assert.equal(await coordinator.ledger.latestModelHash(), record.modelHash);
    assert.equal(await coordinator.ledger.rewardsRootOf(1), record.rewardsRoot);
    assert.equal(await coordinator.ledger.totalRewardBudget(), parseEther('100'));
    assert.equal(await coordinator.ledger.maxRewardBudget(), parseEther('10000'));
    // A client without fromBlock finds the events from the ledger's own deployment block.
    const fresh = new LedgerClient(readOnly.clients, devnet.deployments.contracts.RoundLedger.address);
    const round = await fresh.getRound(1);
    assert.deepEqual({ ...round, blockNumber: undefined, committedAt: undefined, transactionHash: undefined }, { ...record, blockNumber: undefined, committedAt: undefined, transactionHash: undefined });
    assert.equal(round.blockNumber, sent.blockNumber);
    assert.equal(round.committedAt, sent.round.committedAt);
    assert.equal(fromFixedPoint(round.accuracy), 0.8765);
    const genesisRound = await fresh.getRound(0);
    assert.equal(genesisRound.modelHash, genesis);
    assert.equal(genesisRound.parentHash, zeroHash);

    await coordinator.ledger.commitRound({ ...record, roundId: 2, parentHash: record.modelHash, modelHash: keccak256(toHex('wrapper model 2')) });
    assert.deepEqual((await fresh.listRounds()).map((r) => r.roundId), [1, 2]);
    assert.deepEqual((await fresh.listRounds({ fromRound: 2 })).map((r) => r.parentHash), [record.modelHash]);
  });

  it('tells who holds a ledger role', async () => {
    assert.equal(await readOnly.ledger.hasRole(ROLES.coordinator, devnet.accounts[0].address), true);
    assert.equal(await readOnly.ledger.hasRole(ROLES.coordinator, devnet.accounts[2].address), false);
  });

  it('turns reverts into ContractRevertError with the decoded custom error and the RPC URL', async () => {
    const parentHash = await coordinator.ledger.latestModelHash();
    const record = { roundId: 9, modelHash: keccak256(toHex('x')), parentHash, updatesRoot: zeroHash, rewardsRoot: zeroHash, contributors: 0, totalSamples: 0, loss: 0, accuracy: 0, rewardBudget: 0n };
    await assert.rejects(coordinator.ledger.commitRound(record), (error: unknown) => {
      assert.ok(error instanceof ContractRevertError);
      assert.equal(error.errorName, 'NonSequentialRound');
      assert.deepEqual(error.errorArgs, [9n, 3n]);
      assert.match(error.message, new RegExp(`RoundLedger\\.commitRound reverted on ${devnet.rpcUrl}: NonSequentialRound\\(9, 3\\)`));
      return true;
    });
    await assert.rejects(outsider.ledger.commitRound({ ...record, roundId: 3 }), (error: unknown) => error instanceof ContractRevertError && error.errorName === 'AccessControlUnauthorizedAccount');
    await assert.rejects(coordinator.ledger.getRound(99), (error: unknown) => error instanceof ContractRevertError && error.errorName === 'UnknownRound');
    await assert.rejects(readOnly.ledger.commitRound({ ...record, roundId: 3 }), NoAccountError);
  });

  it('checks round records before sending them', async () => {
    const base = { roundId: 3, modelHash: zeroHash, parentHash: zeroHash, updatesRoot: zeroHash, rewardsRoot: zeroHash, contributors: 0, totalSamples: 0, loss: 0, accuracy: 0, rewardBudget: 0n };
    await assert.rejects(coordinator.ledger.commitRound({ ...base, modelHash: '0x1234' }), (error: unknown) => error instanceof ChainInputError && error.value === '0x1234');
    await assert.rejects(coordinator.ledger.commitRound({ ...base, accuracy: 1_000_001 }), /accuracy must be an integer in \[0, 1000000\]/);
    await assert.rejects(coordinator.ledger.commitRound({ ...base, contributors: 1.5 }), /contributors/);
    await assert.rejects(coordinator.ledger.commitRound({ ...base, rewardBudget: -1n }), /rewardBudget/);
    assert.throws(() => toFixedPoint(Number.NaN), FixedPointError);
  });

  it('claims through VaultClient with a real rewards tree, paying the owner whoever submits', async () => {
    const ownerAddress = devnet.accounts[1].address;
    const tree = StandardMerkleTree.of<[Address, bigint, bigint, bigint]>(
      [
        [ownerAddress, parseEther('12'), 600n, 1n],
        [devnet.accounts[2].address, parseEther('3'), 100n, 1n],
      ],
      ['address', 'uint256', 'uint256', 'uint256'],
    );
    const roundId = (await coordinator.ledger.roundCount()) + 1;
    await coordinator.ledger.commitRound({
      roundId,
      modelHash: keccak256(toHex('claim model')),
      parentHash: await coordinator.ledger.latestModelHash(),
      updatesRoot: zeroHash,
      rewardsRoot: tree.root as Hex,
      contributors: 2,
      totalSamples: 700,
      loss: 1,
      accuracy: 1,
      rewardBudget: parseEther('15'),
    });
    const [index, leaf] = [...tree.entries()].find(([, value]) => value[0] === ownerAddress)!;
    const before = await owner.token.balanceOf(ownerAddress);
    const claim = { roundId, owner: ownerAddress, cumulativeReward: leaf[1], cumulativeSamples: leaf[2], cumulativeRounds: leaf[3], proof: tree.getProof(index) as Hex[] };
    // The one-second window: the claim's block (at least a second later) finds the round final.
    const paid = await outsider.vault.claim(claim);
    assert.equal(await readOnly.ledger.latestFinalRound(), roundId);
    assert.equal(paid.payout, parseEther('12'));
    assert.equal(await owner.token.balanceOf(ownerAddress), before + parseEther('12'));
    assert.deepEqual(await readOnly.vault.claimed(ownerAddress), { reward: parseEther('12'), samples: 600n, rounds: 1n });
    await assert.rejects(outsider.vault.claim(claim), (error: unknown) => error instanceof ContractRevertError && error.errorName === 'NothingToClaim');
    await assert.rejects(outsider.vault.claim({ ...claim, proof: ['0x12'] }), ChainInputError);
    await assert.rejects(outsider.vault.claim({ ...claim, roundId: 0 }), ChainInputError);
  });

  it('moves tokens through TokenClient and approves only when needed', async () => {
    const to = devnet.accounts[2].address;
    const before = await owner.token.balanceOf(to);
    await owner.token.transfer(to, 5n);
    assert.equal(await owner.token.balanceOf(to), before + 5n);
    assert.ok(await owner.token.ensureAllowance(to, 10n));
    assert.equal(await owner.token.allowance(devnet.accounts[1].address, to), 10n);
    assert.equal(await owner.token.ensureAllowance(to, 10n), undefined);
    const supply = await coordinator.token.totalSupply();
    await coordinator.token.mint(to, 1n);
    assert.equal(await coordinator.token.totalSupply(), supply + 1n);
  });

  it('gives up waiting for a receipt that never comes, naming the transaction', async () => {
    const rpc = (method: string, params: unknown[]) =>
      fetch(devnet.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    const impatient = await connectGradnet({ rpcUrl: devnet.rpcUrl, account: devnet.accounts[2].privateKey, deployments: devnet.deployments });
    impatient.clients.receiptTimeoutMs = 500;
    await rpc('evm_setAutomine', [false]);
    try {
      await assert.rejects(impatient.token.transfer(devnet.accounts[1].address, 1n), (error: unknown) => {
        assert.ok(error instanceof TransactionTimeoutError);
        assert.match(error.message, /GradToken\.transfer \(tx 0x[0-9a-f]{64}\) was not mined on .* within 1 s/);
        return true;
      });
    } finally {
      await rpc('evm_setAutomine', [true]);
      await rpc('evm_mine', []);
    }
  });

  it('slashes through RegistryClient with two updates the node key signed for one round, for anyone', async () => {
    const ownerAddress = devnet.accounts[1].address;
    const domain = gradnetDomain(devnet.chainId, devnet.deployments.contracts.RoundLedger.address);
    const update = (payload: string) => signUpdate({
      privateKey: nodePrivateKey('wrapper node'),
      domain,
      round: 1,
      baseModelHash: keccak256(toHex('base')),
      samples: 600,
      trainLoss: 0.5,
      codec: 'topk',
      payload: new TextEncoder().encode(payload),
    });
    const first = await update('first');
    await assert.rejects(coordinator.registryClient.slashEquivocation(first, first), (error: unknown) => error instanceof ContractRevertError && error.errorName === 'EvidenceSameUpdate');
    const reporter = devnet.accounts[0].address;
    const before = await coordinator.token.balanceOf(reporter);
    await coordinator.registryClient.slashEquivocation(first, await update('second'));
    coordinator.registry.invalidate();
    assert.equal((await coordinator.registry.nodeOf(ownerAddress)).stake, 0n);
    assert.equal(await coordinator.token.balanceOf(reporter), before + parseEther('10'), 'the 10% bounty');
  });
});
