import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type { RefusedEvent } from '../../core/p2p/index.ts';
import { createApiSource } from '../../coordinator/api.ts';
import { OTHER_PEERS, RefusalLog } from '../../coordinator/refusals.ts';
import { RoundRunner } from '../../coordinator/runner.ts';
import { CoordinatorStore, type RefusalCount } from '../../coordinator/store.ts';
import { GENESIS, runnerFixture } from './fakes.ts';
import { hash, result, update } from './rows.ts';

// Issue 11, 3.8: every refused message, even from an unregistered peer with a fresh id, became a
// database row, and /rounds/:id returned them all unpaged.

const refused = (peer: string, reason: RefusedEvent['reason'] = 'unregistered_signer'): RefusedEvent => ({ kind: 'update', outcome: 'reject', reason, detail: 'junk', peer });

describe('coordinator: refused gossip is counted per peer and reason, and the API is paged', () => {
  it('counts a flood of refusals from fresh peer ids in a bounded number of rows, written in few transactions', async () => {
    const fixture = runnerFixture({ refusals: { maxPeersPerRound: 50 } });
    let transactions = 0;
    const addRefusals = fixture.store.addRefusals.bind(fixture.store);
    fixture.store.addRefusals = (counts) => {
      transactions += 1;
      addRefusals(counts);
    };
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'start', now: Date.now(), round: 1, baseHash: GENESIS });
    for (let i = 0; i < 10_000; i += 1) runner.onRefused(refused(`fresh-peer-${i}`));
    for (let i = 0; i < 500; i += 1) runner.onRefused(refused('loud-peer', i % 2 === 0 ? 'bad_signature' : 'from_mismatch'));
    runner.onRefused({ ...refused('quiet-peer', 'stale_round'), outcome: 'ignore' });
    await runner.stop();

    assert.deepEqual(fixture.store.roundUpdates(1), [], 'no row per refused message');
    // 50 peers one by one; the rest (the loud one among them) together, per reason; ignored messages are not kept.
    assert.deepEqual(fixture.store.refusalTotals(1), { entries: 50 + 3, messages: 10_500 });
    const [others] = fixture.store.roundRefusals(1, { limit: 1, offset: 0 });
    assert.deepEqual([others.peerId, others.reason, others.count], [OTHER_PEERS, 'unregistered_signer', 10_000 - 50]);
    assert.equal(transactions, 1, 'one transaction for 10,501 messages');
    assert.match(await fixture.ports.metrics.registry.metrics(), /gradnet_updates_rejected_total\{reason="unregistered_signer"\} 10000/);
  });

  it('writes the counts within a second while running', async () => {
    const fixture = runnerFixture();
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'start', now: Date.now(), round: 1, baseHash: GENESIS });
    runner.onRefused(refused('p', 'equivocation'));
    assert.equal(fixture.store.refusalTotals(1).messages, 0);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal(fixture.store.refusalTotals(1).messages, 1);
    await runner.stop();
  });

  it('writes a round\'s counts when the round is committed, before anyone hears of it', async () => {
    const fixture = runnerFixture();
    fixture.store.openRound(1, GENESIS, Date.now());
    fixture.store.markAggregated(1, result(1), new Map(), [], Date.now());
    // The commit waits for the test, so refusals arrive while round 1 is being committed.
    let land = (): void => undefined;
    const landed = new Promise<void>((resolve) => (land = resolve));
    const commitRound = fixture.chain.commitRound.bind(fixture.chain);
    fixture.chain.commitRound = async (record) => {
      await landed;
      return commitRound(record);
    };
    const counted: number[] = [];
    fixture.events.on('roundCommitted', () => counted.push(fixture.store.refusalTotals(1).messages));
    const runner = new RoundRunner(fixture.ports);
    const committed = once(fixture.events, 'roundCommitted');
    await runner.start({ type: 'resumeCommit', now: Date.now(), round: 1, baseHash: GENESIS, modelHash: result(1).modelHash });
    runner.onRefused(refused('cheat', 'equivocation'));
    runner.onRefused(refused('cheat', 'equivocation'));
    land();
    await committed;
    await runner.stop();
    assert.deepEqual(counted, [2], 'in the database when roundCommitted is emitted, not a second later');
    assert.equal(fixture.store.getRound(1)?.state, 'committed');
  });

  it('adds to the counts a round already has, keeping the first and last time and the node key', () => {
    const store = CoordinatorStore.open(':memory:');
    const log = new RefusalLog(store, { maxPeersPerRound: 10, schedule: () => undefined });
    log.record({ round: 3, peerId: 'p', reason: 'equivocation', nodeKey: null }, 100);
    log.record({ round: 3, peerId: 'p', reason: 'equivocation', nodeKey: hash(9) }, 200);
    log.flush();
    log.record({ round: 3, peerId: 'p', reason: 'equivocation', nodeKey: null }, 5_000);
    log.flush();
    const expected: RefusalCount = { round: 3, peerId: 'p', reason: 'equivocation', nodeKey: hash(9), count: 3, firstMs: 100, lastMs: 5_000 };
    assert.deepEqual(store.roundRefusals(3, { limit: 10, offset: 0 }), [expected]);
  });

  it("pages a round's updates and refusals, and lists every aggregated digest whatever the page", () => {
    const fixture = runnerFixture();
    const { store } = fixture;
    store.openRound(1, GENESIS, 1);
    for (let node = 1; node <= 5; node += 1) store.insertUpdate(update(1, node, 10 + node));
    for (let node = 1; node <= 3; node += 1) store.insertUpdate(update(1, node, 20 + node, 'rejected'));
    store.markAggregated(1, result(1), new Map([11, 12, 13, 14, 15].map((digest) => [hash(digest), 0.5])), [], 3);
    store.addRefusals(['a', 'b', 'c'].map((peerId, index) => ({ round: 1, peerId, reason: 'bad_signature', nodeKey: null, count: index + 1, firstMs: 1, lastMs: 2 })));
    const api = createApiSource({ store, nodes: fixture.ports.nodes, metrics: fixture.ports.metrics, chain: fixture.ports.chain, live: () => ({}) as never, now: () => 0 });

    const page = api.round(1, { limit: 3, offset: 3 }) as { digests: string[]; updates: { digest: string; verdict: string }[]; updatesPage: object; refusals: object };
    assert.deepEqual(page.digests, [11, 12, 13, 14, 15].map(hash));
    assert.deepEqual(page.updates.map((row) => row.digest), [hash(14), hash(15), hash(21)]);
    assert.deepEqual(page.updatesPage, { limit: 3, offset: 3, total: 8 });
    assert.deepEqual(page.refusals, { entries: 3, messages: 6 });
    const refusals = api.refusals(1, { limit: 2, offset: 0 }) as { total: number; messages: number; refusals: { peerId: string; count: number }[] };
    assert.deepEqual([refusals.total, refusals.messages, refusals.refusals.map((row) => [row.peerId, row.count])], [3, 6, [['c', 3], ['b', 2]]]);
    assert.throws(() => api.refusals(9, { limit: 1, offset: 0 }), /round 9 is not known/);
  });
});
