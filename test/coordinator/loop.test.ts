import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPublicClient, http, type Hex } from 'viem';
import { createCoordinator, StoreError, type Coordinator } from '../../coordinator/index.ts';
import { verifyRewardProof } from '../../core/rewards/index.ts';
import { decodeCheckpoint } from '../../core/tensor/index.ts';
import { startRpcRelay, type RpcRelay } from '../support/rpc-relay.ts';
import { signUpdate, type SignedUpdate } from '../../core/protocol/index.ts';
import { commitTo, contribute, getJson, makeUpdate, revealOpened, startPeersFor, startTestNetwork, until, type TestNetwork, type TestPeer } from './harness.ts';

describe('coordinator round loop (devnet, libp2p loopback, MNIST MLP)', { timeout: 180_000 }, () => {
  let network: TestNetwork;
  let relay: RpcRelay;
  let coordinator: Coordinator;
  const peers: TestPeer[] = [];
  const committed: { round: number; modelHash: Hex; txHash: Hex | null }[] = [];
  const slashed: { nodeKey: Hex; evidenceHash: Hex; txHash?: Hex; error?: string }[] = [];

  before(async () => {
    network = await startTestNetwork({ owners: 5 });
    relay = await startRpcRelay(network.devnet.rpcUrl);
    coordinator = createCoordinator(
      {
        privateKey: network.coordinatorKey,
        rpcUrl: relay.url,
        deployments: network.devnet.deploymentsFile,
        dataDir: join(network.dir, 'coordinator'),
        api: { port: 0 },
        // Every node that counts must commit before the reveal opens; a node unheard of for 3 s no
        // longer holds a round open; one that committed and never reveals (the copier) holds the
        // round 25 s at most.
        round: { quorum: 5, deadlineMs: 60_000, maxWaitMs: 120_000, revealMs: 25_000, livenessMs: 3000 },
        evaluation: { validationLimit: 1000, scoreBatch: 300 },
        // Only registry events (and slashes) refresh the node view during the test.
        nodes: { pollMs: 120_000 },
      },
      { validation: network.mnist.validation },
    );
    coordinator.on('roundCommitted', (event) => committed.push(event));
    coordinator.on('slashed', (event) => slashed.push(event));
    await coordinator.start();
    peers.push(...(await startPeersFor(network, coordinator)));
  });

  after(async () => {
    await coordinator?.stop();
    await Promise.allSettled(peers.map((peer) => peer.node.stop()));
    await relay?.close();
    await network?.stop();
  });

  it('stops cleanly with a clear message when its database cannot be opened', async () => {
    const dataDir = join(network.dir, 'broken');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'coordinator.db'), 'not a database, '.repeat(100));
    const broken = createCoordinator({ privateKey: network.coordinatorKey, rpcUrl: network.devnet.rpcUrl, deployments: network.devnet.deploymentsFile, dataDir, api: { port: 0 } });
    await assert.rejects(broken.start(), (error: unknown) => error instanceof StoreError && error.message.includes(join(dataDir, 'coordinator.db')));
    await assert.rejects(broken.done, StoreError);
  });

  it('runs a round: honest updates are paid, a free rider is not, a copier is not, an equivocator is slashed, the commit is on chain once', async () => {
    const round = 1;
    const baseHash = network.genesis.hash;
    const params = network.genesis.params;
    const [alice, bob, freeRider, cheat, copier] = peers;
    // The cheat commits, then signs two different updates for one round: the second is the evidence.
    const cheatFirst = await makeUpdate(network, cheat, { round, baseHash, params, seed: 1 });
    const cheatSecond = await makeUpdate(network, cheat, { round, baseHash, params, seed: 2 });
    await commitTo(network, cheat, cheatFirst);
    await cheat.node.publishUpdate(cheatFirst);
    await until(() => (coordinator.roundState() as { updates?: unknown[] }).updates?.length === 1, 'the first update of the cheat');
    await cheat.node.publishUpdate(cheatSecond);
    await until(() => slashed.length > 0, 'the equivocation to be slashed');
    assert.equal(slashed[0].nodeKey, cheat.owner.nodeKey);
    assert.ok(slashed[0].txHash, `slash failed: ${slashed[0].error}`);
    assert.equal((await cheat.owner.chain.registry.nodeOf(cheat.owner.owner)).stake, 0n, 'the whole stake is taken');

    const honest = await makeUpdate(network, alice, { round, baseHash, params });
    const contributions = [
      [alice, honest],
      [bob, await makeUpdate(network, bob, { round, baseHash, params })],
      [freeRider, await makeUpdate(network, freeRider, { round, baseHash, params, kind: 'zero' })],
    ] as const;
    // The copier commits in time to an update of its own, which it keeps back.
    await commitTo(network, copier, await makeUpdate(network, copier, { round, baseHash, params }));
    for (const [peer, update] of contributions) await commitTo(network, peer, update);
    await revealOpened(coordinator, round);
    // Once alice's payload is out it re-signs it and reaches the coordinator first.
    const copy = await signUpdate({ privateKey: copier.owner.nodePrivateKey, domain: network.domain, round, baseModelHash: baseHash, samples: honest.samples, trainLoss: 0.1, codec: honest.codec, payload: honest.payload! });
    await copier.node.publishUpdate(copy);
    await until(async () => (await getJson<{ updates: { nodeKey: Hex }[] }>(coordinator.apiUrl!, '/rounds/1')).body.updates.some((update) => update.nodeKey === copier.owner.nodeKey), 'the copy to reach the coordinator');
    for (const [peer, update] of contributions) await peer.node.publishUpdate(update);
    await until(() => committed.length > 0, 'round 1 to be committed', 60_000);

    const ledger = alice.owner.chain.ledger;
    assert.equal(await ledger.roundCount(), 1);
    assert.equal(await ledger.latestModelHash(), committed[0].modelHash);
    const onChain = await ledger.getRound(1);
    assert.equal(onChain.contributors, 4);
    assert.equal(onChain.parentHash, baseHash);

    const apiUrl = coordinator.apiUrl!;
    const { body: details } = await getJson<{
      state: string;
      digests: Hex[];
      updates: { nodeKey: Hex; verdict: string; reason: string | null; score: number | null }[];
      rewards: { owner: Hex; amount: string }[];
    }>(apiUrl, '/rounds/1');
    assert.equal(details.state, 'committed');
    assert.equal(details.digests.length, 4);
    const scoreOf = (nodeKey: Hex) => details.updates.find((update) => update.nodeKey === nodeKey && update.verdict === 'accepted')?.score;
    assert.ok((scoreOf(alice.owner.nodeKey) ?? 0) > 0, 'an honest update scores above 0, though a copy of it arrived first');
    assert.equal(scoreOf(freeRider.owner.nodeKey), 0, 'a zero update scores 0');
    assert.deepEqual(
      details.updates.filter((update) => update.nodeKey === copier.owner.nodeKey).map((update) => [update.verdict, update.reason]),
      [['rejected', 'uncommitted']],
      'the copy matches no commitment: it never joins the round',
    );
    // The second update of the cheat, refused by the validator, is counted per peer and reason,
    // and the round's counts are written when it is committed.
    const { body: refusals } = await getJson<{ refusals: { reason: string; nodeKey: Hex | null; count: number }[] }>(apiUrl, '/rounds/1/refusals');
    assert.ok(
      refusals.refusals.some((refusal) => refusal.reason === 'equivocation' && refusal.nodeKey === cheat.owner.nodeKey && refusal.count >= 1),
      `the equivocation among the round's refusals: ${JSON.stringify(refusals.refusals)}`,
    );
    const rewardOf = (owner: Hex) => BigInt(details.rewards.find((reward) => reward.owner === owner)?.amount ?? '0');
    assert.ok(rewardOf(alice.owner.owner) > 0n);
    assert.equal(rewardOf(freeRider.owner.owner), 0n);
    assert.equal(rewardOf(copier.owner.owner), 0n, 'the copier earns nothing');
    assert.equal(onChain.rewardBudget, details.rewards.reduce((sum, reward) => sum + BigInt(reward.amount), 0n), 'the ledger mints exactly what was allocated');

    // Rewards are claimable once the round is final, and the API offers only what is: while round 1
    // is in its challenge window there is nothing to claim; once the window passed, its proof.
    const whilePending = await getJson<{ error: string }>(apiUrl, `/rewards/${alice.owner.owner}`);
    assert.equal(whilePending.status, 404);
    assert.match(whilePending.body.error, /no round is final yet; round 1, still in its challenge window, gives it \d+ wei/);
    const devnet = createPublicClient({ transport: http(network.devnet.rpcUrl) });
    await devnet.request({ method: 'evm_increaseTime' as never, params: [(await ledger.challengeWindow()) + 1] as never });
    await devnet.request({ method: 'evm_mine' as never, params: [] as never });
    assert.ok(await ledger.isFinal(1));
    // The proof served verifies against the on-chain root and pays out through the vault. The API
    // answers a second of requests from one finality search: round 1 is offered within a second.
    const { body: claim } = await until(async () => {
      const answer = await getJson<{ roundId: number; cumulativeReward: string; cumulativeSamples: string; cumulativeRounds: string; proof: Hex[] }>(apiUrl, `/rewards/${alice.owner.owner.toLowerCase()}`);
      return answer.status === 200 && answer;
    }, 'the API to offer round 1 once it is final', 5_000);
    const proof = {
      owner: alice.owner.owner,
      cumulativeReward: BigInt(claim.cumulativeReward),
      cumulativeSamples: BigInt(claim.cumulativeSamples),
      cumulativeRounds: BigInt(claim.cumulativeRounds),
      proof: claim.proof,
    };
    assert.ok(verifyRewardProof(await ledger.rewardsRootOf(1), proof));
    assert.equal(claim.roundId, 1);
    const paid = await alice.owner.chain.vault.claim({ roundId: claim.roundId, ...proof });
    assert.equal(paid.payout, rewardOf(alice.owner.owner));
    const { body: riderClaim } = await getJson<{ cumulativeReward: string; cumulativeRounds: string }>(apiUrl, `/rewards/${freeRider.owner.owner}`);
    assert.deepEqual([riderClaim.cumulativeReward, riderClaim.cumulativeRounds], ['0', '0'], 'a free rider has a leaf with nothing in it');

    const { body: status2 } = await getJson<{ phase: string; round: number; baseHash: Hex; nodes: { registered: number } }>(apiUrl, '/status');
    assert.equal(status2.phase, 'collecting');
    assert.equal(status2.round, 2);
    assert.equal(status2.baseHash, committed[0].modelHash);
    assert.equal(status2.nodes.registered, 5);
    const { body: nodes } = await getJson<{ nodeKey: Hex; liveness: string; missedRounds: number; lastUpdateRound: number | null; lastSeenMs: number | null }[]>(apiUrl, '/nodes');
    const nodeOf = (peer: TestPeer) => nodes.find((node) => node.nodeKey === peer.owner.nodeKey);
    assert.deepEqual([nodeOf(alice)?.lastUpdateRound, nodeOf(alice)?.missedRounds], [1, 0]);
    assert.ok(nodeOf(alice)?.lastSeenMs);
    assert.deepEqual([nodeOf(copier)?.liveness, nodeOf(copier)?.missedRounds], ['never-seen', 1], 'a node whose only update was a copy missed round 1');
    assert.equal(nodeOf(cheat)?.liveness, 'inactive', 'slashed below the minimum stake');

    const { body: rounds } = await getJson<{ round: number; state: string; txHash: Hex | null }[]>(apiUrl, '/rounds?limit=5');
    assert.deepEqual(rounds.map((row) => [row.round, row.state]), [[2, 'open'], [1, 'committed']]);
    assert.equal(rounds[1].txHash, (await ledger.getRound(1)).transactionHash);

    const metrics = await (await fetch(`${apiUrl}/metrics`)).text();
    assert.match(metrics, /gradnet_updates_accepted_total 4/);
    assert.match(metrics, /gradnet_updates_rejected_total\{reason="equivocation"\} [1-9]/);
    assert.match(metrics, /gradnet_rounds_committed_total 1/);
    assert.match(metrics, /gradnet_model_accuracy 0\.\d+/);
  });

  it('keeps collecting while the RPC endpoint is down, and commits once it is back', async () => {
    const ledger = network.owners[0].chain.ledger;
    const modelHash = await ledger.latestModelHash();
    const [alice, bob, freeRider, , dave] = peers;
    const bytes = await alice.node.fetchBlob(modelHash, {
      signal: AbortSignal.timeout(10_000),
      maxBytes: 16 * 1024 * 1024,
      verify: (received) => decodeCheckpoint(received, modelHash).modelHash === modelHash,
    });
    const params = decodeCheckpoint(bytes, modelHash).params;
    const updates: SignedUpdate[] = [];
    for (const peer of [alice, bob, freeRider, dave]) {
      updates.push(await makeUpdate(network, peer, { round: 2, baseHash: modelHash, params, seed: 20 + peer.owner.index }));
    }
    // The chain is unreachable while the round collects, closes and aggregates.
    relay.down = true;
    coordinator.once('roundAggregated', () => setTimeout(() => (relay.down = false), 1500));
    await contribute(network, coordinator, [alice, bob, freeRider, dave].map((peer, index) => [peer, updates[index]] as const));
    await until(() => committed.length > 1, 'round 2 to be committed', 60_000);
    assert.equal((await ledger.getRound(2)).contributors, 4, 'every update was collected while the RPC was down');
    assert.equal(await ledger.roundCount(), 2);
    assert.equal((await ledger.listRounds()).length, 2, 'one RoundCommitted event per round');
    const { body: round2 } = await getJson<{ commitAttempts: number; lastError: string | null; state: string }>(coordinator.apiUrl!, '/rounds/2');
    assert.equal(round2.state, 'committed');
    assert.ok(round2.commitAttempts >= 2, `the commit was retried (${round2.commitAttempts} attempts)`);
    const metrics = await (await fetch(`${coordinator.apiUrl}/metrics`)).text();
    assert.match(metrics, /gradnet_commit_errors_total [1-9]/);
  });

  it('follows registry events: a node that starts exiting is inactive within seconds', async () => {
    const dave = peers[4];
    await dave.owner.chain.registryClient.requestExit();
    await until(
      async () => (await getJson<{ nodeKey: Hex; liveness: string }[]>(coordinator.apiUrl!, '/nodes')).body.find((node) => node.nodeKey === dave.owner.nodeKey)?.liveness === 'inactive',
      'the exit to show in /nodes',
      5000,
    );
  });

  it('stops cleanly, with the error, when its database fails while running', async () => {
    const halted = new Promise<{ reason: string }>((resolve) => coordinator.once('halted', resolve));
    coordinator.store!.close();
    const [alice] = peers;
    const state = coordinator.roundState() as { round: number; baseHash: Hex };
    const modelHash = state.baseHash;
    const bytes = await alice.node.fetchBlob(modelHash, { signal: AbortSignal.timeout(10_000), maxBytes: 16 * 1024 * 1024, verify: () => true });
    await commitTo(network, alice, await makeUpdate(network, alice, { round: state.round, baseHash: modelHash, params: decodeCheckpoint(bytes, modelHash).params }));
    assert.match((await halted).reason, /coordinator database .* failed/);
    await assert.rejects(coordinator.done, StoreError);
  });
});
