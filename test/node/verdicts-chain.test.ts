import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256, parseEther, toFunctionSelector, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { connectGradnet, startDevnet, type Devnet, type GradnetChain } from '../../core/chain/index.ts';
import { silentLogger } from '../../core/log/index.ts';
import { checkVerdict, gradnetDomain, signVerdict, type GradnetDomain, type SignedVerdict, type VerdictKind } from '../../core/protocol/index.ts';
import { Challenger } from '../../node/challenger.ts';
import { challengeChain, verdictLedger } from '../../node/verdict-chain.ts';
import { startRpcCounter } from '../core/chain/rpc-counter.ts';

/** Three registered nodes of equal stake, a round committed with a wrong model hash, and the daemons' side of the challenge against the real contracts. */
describe('verdicts and challenges on a devnet', () => {
  let dir: string;
  let devnet: Devnet;
  let coordinator: GradnetChain;
  let domain: GradnetDomain;
  const nodeKeys: Hex[] = ['a', 'b', 'c'].map((label) => keccak256(toHex(`verdict node ${label}`)));
  const modelHash = keccak256(toHex('a model nobody can reproduce'));
  const rewardsRoot = keccak256(toHex('rewards that pay the coordinator'));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-verdicts-'));
    devnet = await startDevnet({ port: 0, accounts: 4, deploy: { deploymentsFile: join(dir, '31337.json'), challengeWindowSeconds: 600 } });
    const connect = (account?: Hex): Promise<GradnetChain> => connectGradnet({ rpcUrl: devnet.rpcUrl, account, deployments: devnet.deployments });
    coordinator = await connect(devnet.accounts[0].privateKey);
    domain = gradnetDomain(coordinator.clients.chainId, coordinator.ledger.address);
    for (const [index, nodeKey] of nodeKeys.entries()) {
      const owner = await connect(devnet.accounts[index + 1].privateKey);
      await owner.registryClient.register(privateKeyToAccount(nodeKey), parseEther('100'));
      // The node key pays for the challenge it sends.
      const { walletClient } = owner.clients;
      await owner.clients.publicClient.waitForTransactionReceipt({ hash: await walletClient!.sendTransaction({ account: walletClient!.account!, chain: walletClient!.chain, to: privateKeyToAccount(nodeKey).address, value: parseEther('1') }) });
    }
    const genesis = await coordinator.ledger.latestModelHash();
    await coordinator.ledger.commitRound({ roundId: 1, modelHash, parentHash: genesis, updatesRoot: keccak256(toHex('updates')), rewardsRoot, contributors: 3, totalSamples: 300, loss: 500_000, accuracy: 500_000, rewardBudget: parseEther('1') });
  });

  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const verdict = (nodeKey: Hex, kind: VerdictKind): Promise<SignedVerdict> => signVerdict({ privateKey: nodeKey, domain, round: 1, modelHash, rewardsRoot, verdict: kind });

  it('gossip validation reads what the ledger stores for a round, and nothing for an uncommitted one', async () => {
    const ledger = verdictLedger(coordinator);
    assert.deepEqual(await ledger.committedRound(1), { modelHash, parentHash: await coordinator.ledger.genesisModelHash(), rewardsRoot });
    assert.equal(await ledger.committedRound(2), undefined);
  });

  it('a burst of gossiped verdicts on a round costs one ledger read to validate, and a later one reads again', async () => {
    const counter = await startRpcCounter(devnet.rpcUrl);
    try {
      const counted = await connectGradnet({ rpcUrl: counter.url, deployments: devnet.deployments });
      const ledger = verdictLedger(counted);
      const getRound = toFunctionSelector('getRound(uint256)');
      const reads = (): number => counter.calls.filter((call) => call.data?.startsWith(getRound)).length;
      const burst = await Promise.all(nodeKeys.flatMap((nodeKey) => [verdict(nodeKey, 'mismatch'), verdict(nodeKey, 'match')]));
      const problems = await Promise.all([...burst, ...burst].map((signed) => checkVerdict(signed, { domain, ledger })));
      assert.deepEqual(problems, Array(12).fill(undefined), 'every verdict names what the ledger stores');
      assert.equal(reads(), 1, `${burst.length * 2} verdicts, one read`);
      const wrong = await signVerdict({ privateKey: nodeKeys[0], domain, round: 1, modelHash: rewardsRoot, rewardsRoot, verdict: 'mismatch' });
      assert.equal((await checkVerdict(wrong, { domain, ledger }))?.reason, 'wrong_commitment');
      assert.equal(reads(), 1);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      assert.equal(await checkVerdict(burst[0], { domain, ledger }), undefined);
      assert.equal(reads(), 2, 'the stored round is read again once the burst is over (a void may have changed it)');
    } finally {
      await counter.stop();
    }
  });

  it('a daemon\'s Challenger sends challengeRound from its node key once a third of the stake is against: the round is voided, the bond slashed; a second daemon\'s attempt reverts and is not retried', async () => {
    const daemon = await connectGradnet({ rpcUrl: devnet.rpcUrl, account: nodeKeys[0], deployments: devnet.deployments });
    const other = await connectGradnet({ rpcUrl: devnet.rpcUrl, account: nodeKeys[1], deployments: devnet.deployments });
    const bondBefore = await coordinator.challenges.bondOf(devnet.accounts[0].address);
    assert.ok(bondBefore > 0n, 'the devnet posts a coordinator bond');
    const lifetime = new AbortController();
    const challenger = new Challenger({ chain: challengeChain(daemon), logger: silentLogger, backoff: { baseMs: 10, maxMs: 100 }, signal: lifetime.signal });
    const late = new Challenger({ chain: challengeChain(other), logger: silentLogger, backoff: { baseMs: 10, maxMs: 100 }, signal: lifetime.signal });
    const [a, b, c] = await Promise.all([verdict(nodeKeys[0], 'mismatch'), verdict(nodeKeys[1], 'unavailable'), verdict(nodeKeys[2], 'match')]);
    assert.equal((await challenger.offer(a))?.status, 'waiting', '100 of 300 is 33.33%, below the 33.34% default');
    assert.equal(challenger.offer(c), undefined);
    const outcome = await challenger.offer(b);
    assert.equal(outcome?.status, 'challenged', JSON.stringify(outcome, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
    assert.equal(await coordinator.ledger.roundCount(), 0, 'round 1 voided: the head is back at genesis');
    assert.ok((await coordinator.challenges.bondOf(devnet.accounts[0].address)) < bondBefore, 'the bond was slashed');
    await late.offer(a);
    const refused = await late.offer(b);
    assert.equal(refused?.status, 'refused');
    lifetime.abort();
  });
});
