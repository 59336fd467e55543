import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { createCoordinator, type Coordinator } from '../../coordinator/index.ts';
import { decodeCheckpoint } from '../../core/tensor/index.ts';
import type { SignedUpdate } from '../../core/protocol/index.ts';
import { commitTo, getJson, makeUpdate, startPeersFor, startTestNetwork, until, type TestNetwork, type TestPeer } from './harness.ts';

const MAX_WAIT_MS = 4000;
/** What a round may take from closing to its commit (aggregation, scoring, one transaction) on a loaded machine. */
const COMMIT_SLACK_MS = 4000;

/**
 * Issue 11, liveness: 3 peers, quorum 3, one stopped for good after round 2. The coordinator
 * runs in process with the real chain (devnet), store and libp2p gossip; the peers are libp2p
 * nodes with registered keys that train a few real steps on each round's model (fetched over
 * the blob protocol) and gossip signed updates.
 */
describe('coordinator liveness: a peer stopped for good does not stop the others', { timeout: 90_000 }, () => {
  let network: TestNetwork;
  let coordinator: Coordinator;
  const peers: TestPeer[] = [];
  const stopped = new Set<TestPeer>();
  const opened = new Map<number, number>();
  const reopened: number[] = [];
  const committed = new Map<number, number>();
  const peerErrors: unknown[] = [];
  let driving = true;

  /** Updates committed to and not yet revealed, by peer. */
  const reveals = new Map<TestPeer, SignedUpdate>();

  /** Sends one update per round the coordinator collects, trained on that round's model: its commitment, then on the reveal the update. */
  const drive = async (peer: TestPeer): Promise<void> => {
    const params = new Map<Hex, Float32Array>([[network.genesis.hash, network.genesis.params]]);
    let sent = 0;
    while (driving && !stopped.has(peer)) {
      const state = coordinator.roundState();
      if (state.phase === 'collecting' && state.round > sent) {
        const { round, baseHash } = state;
        sent = round;
        if (!params.has(baseHash)) {
          const bytes = await peer.node.fetchBlob(baseHash, { signal: AbortSignal.timeout(10_000), maxBytes: 16 * 1024 * 1024, verify: () => true });
          params.set(baseHash, decodeCheckpoint(bytes, baseHash).params);
        }
        const update = await makeUpdate(network, peer, { round, baseHash, params: params.get(baseHash)!, seed: round * 10 + peer.owner.index });
        if (!stopped.has(peer)) await commitTo(network, peer, update);
        reveals.set(peer, update);
      }
      // As a daemon does: the update goes out once the coordinator reveals the round it committed to.
      const pending = reveals.get(peer);
      if (pending !== undefined && state.phase === 'collecting' && state.round === pending.round && state.stage === 'reveal') {
        reveals.delete(peer);
        if (!stopped.has(peer)) await peer.node.publishUpdate(pending);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  before(async () => {
    network = await startTestNetwork({ owners: 3 });
    coordinator = createCoordinator(
      {
        privateKey: network.coordinatorKey,
        rpcUrl: network.devnet.rpcUrl,
        deployments: network.devnet.deploymentsFile,
        dataDir: join(network.dir, 'coordinator'),
        api: { port: 0 },
        // The stopped peer stays "heard from recently" for the whole test, so only failing it
        // (2 missed rounds) takes it out of the quorum; until then the longest wait must do.
        round: { quorum: 3, minQuorum: 2, deadlineMs: 1000, maxWaitMs: MAX_WAIT_MS, livenessMs: 60_000 },
        nodes: { pollMs: 1000, failAfterMissedRounds: 2 },
        evaluation: { validationLimit: 300, scoreBatch: 200 },
      },
      { validation: network.mnist.validation },
    );
    coordinator.on('roundOpened', ({ round, reopened: again }) => (again ? reopened.push(round) : opened.set(round, Date.now())));
    coordinator.on('roundCommitted', ({ round }) => {
      committed.set(round, Date.now());
      // Stopped before round 3 opens (this runs inside the commit's step), so it sends nothing more.
      if (round === 2) stopped.add(peers[2]);
    });
    await coordinator.start();
    peers.push(...(await startPeersFor(network, coordinator)));
    // The stopped peer's own work may fail as it stops; the others' must not.
    for (const peer of peers) void drive(peer).catch((error: unknown) => stopped.has(peer) || peerErrors.push(error));
  });

  after(async () => {
    driving = false;
    await coordinator?.stop();
    await Promise.allSettled(peers.map((peer) => peer.node.stop()));
    await network?.stop();
  });

  it('keeps committing rounds within maxWaitMs each with the two peers left, and marks the third failed', async () => {
    await until(() => committed.has(2), 'rounds 1 and 2 with all three peers', 30_000);
    const gone = peers[2];
    await gone.node.stop();

    await until(() => committed.has(6), 'rounds 3 to 6 with two peers', 60_000);
    assert.deepEqual(peerErrors, []);
    const ledger = network.owners[0].chain.ledger;
    assert.deepEqual(
      (await ledger.listRounds()).slice(0, 6).map((round) => round.contributors),
      [3, 3, 2, 2, 2, 2],
    );
    for (const round of [3, 4, 5, 6]) {
      const took = committed.get(round)! - opened.get(round)!;
      assert.ok(took < MAX_WAIT_MS + COMMIT_SLACK_MS, `round ${round} took ${took} ms from opening to commit`);
    }
    assert.deepEqual(reopened.filter((round) => round <= 6), [], 'no round was re-announced');

    const { body: nodes } = await getJson<{ nodeKey: Hex; liveness: string; missedRounds: number }[]>(coordinator.apiUrl!, '/nodes');
    const view = (peer: TestPeer) => nodes.find((node) => node.nodeKey === peer.owner.nodeKey);
    assert.equal(view(gone)?.liveness, 'failed');
    assert.ok((view(gone)?.missedRounds ?? 0) >= 4);
    assert.deepEqual([view(peers[0])?.liveness, view(peers[0])?.missedRounds], ['online', 0]);
    // Failed, it no longer holds rounds open: they close as soon as the two have reported.
    const { body: status } = await getJson<{ quorum: number; nodes: { failed: number } }>(coordinator.apiUrl!, '/status');
    assert.deepEqual([status.quorum, status.nodes.failed], [2, 1]);
    for (const round of [5, 6]) {
      const took = committed.get(round)! - opened.get(round)!;
      assert.ok(took < MAX_WAIT_MS, `round ${round} took ${took} ms: it waited for the failed peer`);
    }
  });
});
