import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createPublicClient, http, type Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { freePort } from '../../core/process/index.ts';
import { decodeCheckpoint } from '../../core/tensor/index.ts';
import type { SignedUpdate } from '../../core/protocol/index.ts';
import { commitTo, getJson, makeUpdate, startPeer, startTestNetwork, until, type TestNetwork, type TestPeer } from './harness.ts';

const GRADNET = fileURLToPath(new URL('../../bin/gradnet.js', import.meta.url));

interface CoordinatorProcess {
  child: ChildProcess;
  ready: Promise<{ api: string; addresses: string[] }>;
  exited: Promise<number | null>;
  logs: Record<string, unknown>[];
}

/** Runs `gradnet coordinator --config FILE` as a real process, reading its JSON log lines. */
function runCoordinator(configFile: string, privateKey: Hex): CoordinatorProcess {
  const child = spawn(process.execPath, [GRADNET, 'coordinator', '--config', configFile, '--log-level', 'debug'], {
    env: { ...process.env, GRADNET_COORDINATOR_PRIVATE_KEY: privateKey },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const ready = new Promise<{ api: string; addresses: string[] }>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { msg: line };
      }
      logs.push(entry);
      if (entry.msg === 'coordinator running') resolve({ api: String(entry.api), addresses: entry.addresses as string[] });
    });
    child.once('exit', (code) => reject(new Error(`the coordinator exited (${code}) before it was ready: ${JSON.stringify(logs.slice(-5))}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited, logs };
}

describe('coordinator crash recovery (a real process killed with SIGKILL)', { timeout: 240_000 }, () => {
  let network: TestNetwork;
  let configFile: string;
  let dataDir: string;
  const peers: TestPeer[] = [];
  let running: CoordinatorProcess | undefined;
  let apiUrl = '';
  let bootstrap: string[] = [];
  const rpc = (method: string, params: unknown[] = []): Promise<unknown> =>
    createPublicClient({ transport: http(network.devnet.rpcUrl) }).request({ method: method as never, params: params as never });

  const start = async (): Promise<void> => {
    running = runCoordinator(configFile, network.coordinatorKey);
    const ready = await running.ready;
    apiUrl = ready.api;
    bootstrap = ready.addresses;
  };
  const kill = async (): Promise<void> => {
    running!.child.kill('SIGKILL');
    await running!.exited;
  };
  const status = async () => (await getJson<{ phase: string; stage: string | null; round: number; baseHash: Hex; committed: number; accepted: number }>(apiUrl, '/status')).body;
  const revealOpened = (round: number): Promise<unknown> => until(async () => ((await status()).round === round && (await status()).stage === 'reveal'), `the reveal of round ${round}`);
  const roundDetails = async (round: number) =>
    (await getJson<{ state: string; txHash: Hex | null; contributors: number; updates: { verdict: string }[]; rewards: { owner: Hex; amount: string }[] }>(apiUrl, `/rounds/${round}`)).body;
  const reconnect = async (): Promise<void> => {
    for (const peer of peers) await peer.node.waitForTopicPeers('update', 1, { signal: AbortSignal.timeout(20_000) });
    await new Promise((resolve) => setTimeout(resolve, 1500));
  };

  before(async () => {
    network = await startTestNetwork({ owners: 3 });
    dataDir = join(network.dir, 'coordinator');
    configFile = join(network.dir, 'coordinator.json');
    // A fixed libp2p key and port: after a restart the peers find the coordinator where it was.
    writeFileSync(
      configFile,
      JSON.stringify({
        rpcUrl: network.devnet.rpcUrl,
        deployments: network.devnet.deploymentsFile,
        dataDir,
        p2pPrivateKey: generatePrivateKey(),
        listen: [`/ip4/127.0.0.1/tcp/${await freePort()}`],
        api: { port: await freePort() },
        round: { quorum: 3, deadlineMs: 60_000, maxWaitMs: 120_000, revealMs: 120_000 },
        evaluation: { validationLimit: 500, scoreBatch: 200 },
      }),
    );
    await start();
    // The test's peers only publish; what they validate does not matter here.
    const context = { round: 1, baseModelHash: network.genesis.hash, parameterCount: network.genesis.params.length, maxNorm: 100 };
    for (const owner of network.owners) peers.push(await startPeer(network, owner, bootstrap, () => context));
    await reconnect();
  });

  after(async () => {
    if (running && running.child.exitCode === null) await kill();
    await Promise.allSettled(peers.map((peer) => peer.node.stop()));
    await network?.stop();
  });

  it('loses no accepted update, commits each round once and counts each reward once across SIGKILLs mid-round and mid-commit', async () => {
    const genesis = network.genesis;
    const ledger = network.owners[0].chain.ledger;
    const [first, second, third] = peers;

    // Mid-round: all three committed, the reveal open, two of three updates accepted, then SIGKILL.
    const updates1: SignedUpdate[] = [];
    for (const peer of peers) updates1.push(await makeUpdate(network, peer, { round: 1, baseHash: genesis.hash, params: genesis.params }));
    for (const [index, peer] of peers.entries()) await commitTo(network, peer, updates1[index]);
    await revealOpened(1);
    await first.node.publishUpdate(updates1[0]);
    await second.node.publishUpdate(updates1[1]);
    await until(async () => (await status()).accepted === 2, 'two accepted updates');
    await kill();

    await start();
    const resumed = await status();
    assert.deepEqual([resumed.phase, resumed.round, resumed.stage, resumed.committed, resumed.accepted], ['collecting', 1, 'reveal', 3, 2], 'the open round resumes in its reveal with its commitments and both updates');
    await reconnect();

    // Mid-commit: the chain mines every 3 s, so the commit transaction waits in the mempool;
    // kill while the round is `committing` and its transaction pending.
    const coordinatorAddress = network.devnet.accounts[0].address;
    const noncesBefore = Number(await rpc('eth_getTransactionCount', [coordinatorAddress, 'latest']));
    await rpc('evm_setAutomine', [false]);
    await rpc('evm_setIntervalMining', [3000]);
    await third.node.publishUpdate(updates1[2]);
    await until(async () => {
      if ((await roundDetails(1)).state !== 'committing') return false;
      const pending = (await rpc('eth_getBlockByNumber', ['pending', false])) as { transactions: unknown[] };
      return pending.transactions.length > 0;
    }, 'the commit transaction to be pending', 60_000);
    assert.equal(await ledger.roundCount(), 0, 'killed before the commit was mined');
    await kill();

    await start();
    await until(async () => (await status()).round === 2, 'round 2 to open after recovering the commit', 60_000);
    await rpc('evm_setIntervalMining', [0]);
    await rpc('evm_setAutomine', [true]);
    assert.equal(await ledger.roundCount(), 1);
    const events = await ledger.listRounds();
    assert.equal(events.length, 1, 'one RoundCommitted event');
    assert.equal(events[0].contributors, 3, 'no accepted update was lost');
    assert.equal(Number(await rpc('eth_getTransactionCount', [coordinatorAddress, 'latest'])) - noncesBefore, 1, 'exactly one commit transaction was ever sent');
    const round1 = await roundDetails(1);
    assert.equal(round1.state, 'committed');
    assert.equal(round1.txHash, events[0].transactionHash);
    assert.equal(round1.updates.filter((update) => update.verdict === 'accepted').length, 3);

    // Round 2 on the committed model, fetched by hash over the blob protocol from the coordinator.
    await reconnect();
    const modelHash = await ledger.latestModelHash();
    const bytes = await first.node.fetchBlob(modelHash, {
      signal: AbortSignal.timeout(10_000),
      maxBytes: 16 * 1024 * 1024,
      verify: (received) => decodeCheckpoint(received, modelHash).modelHash === modelHash,
    });
    const checkpoint = decodeCheckpoint(bytes, modelHash);
    const updates2: SignedUpdate[] = [];
    for (const peer of peers) updates2.push(await makeUpdate(network, peer, { round: 2, baseHash: modelHash, params: checkpoint.params, seed: 10 + peer.owner.index }));
    for (const [index, peer] of peers.entries()) await commitTo(network, peer, updates2[index]);
    await revealOpened(2);
    for (const [index, peer] of peers.entries()) await peer.node.publishUpdate(updates2[index]);
    await until(async () => (await ledger.roundCount()) === 2, 'round 2 to be committed', 60_000);

    // Cumulative rewards are the sum of the two rounds, once each, and match what was minted; the
    // API offers a round's proof once the round is final (the vault pays only then).
    await rpc('evm_increaseTime', [(await ledger.challengeWindow()) + 1]);
    await rpc('evm_mine');
    const round2 = await roundDetails(2);
    let total = 0n;
    for (const peer of peers) {
      const owner = peer.owner.owner;
      const perRound = [round1, round2].map((round) => BigInt(round.rewards.find((reward) => reward.owner === owner)?.amount ?? '0'));
      const { body: claim } = await getJson<{ roundId: number; cumulativeReward: string }>(apiUrl, `/rewards/${owner}`);
      assert.equal(claim.roundId, 2);
      assert.equal(BigInt(claim.cumulativeReward), perRound[0] + perRound[1], `owner ${peer.owner.index}: round 1 + round 2`);
      total += BigInt(claim.cumulativeReward);
    }
    assert.equal(total, await ledger.totalRewardBudget(), 'the rewards tree pays out exactly what the ledger minted');

    running!.child.kill('SIGTERM');
    assert.equal(await running!.exited, 0, 'SIGTERM stops the coordinator cleanly');
  });
});
