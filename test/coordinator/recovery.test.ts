import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { silentLogger } from '../../core/log/index.ts';
import { ChainStateError } from '../../coordinator/errors.ts';
import { recover, waitForOwnPendingTransactions } from '../../coordinator/recovery.ts';
import { CoordinatorStore } from '../../coordinator/store.ts';
import { FakeChain, FakeClock, GENESIS } from './fakes.ts';
import { address, hash, result, update } from './rows.ts';

/** recover() over a fake chain, the real store in memory, and checkpoints holding `held`. */
function recovery(held: Hex[] = [GENESIS]) {
  const chain = new FakeChain();
  const store = CoordinatorStore.open(':memory:');
  const clock = new FakeClock();
  const checkpoints = { dir: '/data/checkpoints', has: async (modelHash: Hex) => held.includes(modelHash) };
  return { chain, store, clock, run: () => recover({ ledger: chain, journal: store, checkpoints, clock, logger: silentLogger }) };
}

describe('coordinator recovery (fake chain, in-memory store)', () => {
  it('opens round 1 on the genesis model on a fresh database', async () => {
    const { clock, run } = recovery();
    assert.deepEqual(await run(), { type: 'start', now: clock.now(), round: 1, baseHash: GENESIS });
  });

  it('resumes the commit of an aggregated round, also when the chain already has it', async () => {
    const { chain, store, clock, run } = recovery();
    store.openRound(1, GENESIS, 10);
    store.markAggregated(1, result(1), new Map(), [], 20);
    const resume = { type: 'resumeCommit', now: clock.now(), round: 1, baseHash: GENESIS, modelHash: result(1).modelHash };
    assert.deepEqual(await run(), resume, 'not on chain yet');
    store.markCommitting(1);
    chain.commitOnChain(result(1).modelHash);
    assert.deepEqual(await run(), resume, 'on chain already: the commit step finds it there and only records it');
    assert.deepEqual(chain.calls.filter((call) => call === 'commitRound'), [], 'recovery itself never sends');
  });

  it('resumes an open round on the chain head with the commitments and updates the database kept, in its stage, from its first opening', async () => {
    const { chain, store, clock, run } = recovery([GENESIS, result(1).modelHash]);
    store.openRound(1, GENESIS, 10);
    store.markAggregated(1, result(1), new Map(), [], 20);
    store.markCommitting(1);
    chain.commitOnChain(result(1).modelHash);
    const head = result(1).modelHash;
    store.openRound(2, head, 30);
    for (const node of [1, 2, 3]) store.insertCommitment({ round: 2, nodeKey: address(node), updateDigest: hash(0x100 + node), signature: hash(7), receivedMs: 31, peerId: null });
    store.setRevealed(2, 35);
    store.insertUpdate(update(2, 1, 0x101));
    store.insertUpdate(update(2, 2, 0x102));
    assert.deepEqual(await run(), {
      type: 'start',
      now: clock.now(),
      round: 2,
      baseHash: head,
      commitments: [1, 2, 3].map((node) => ({ nodeKey: address(node), digest: hash(0x100 + node) })),
      accepted: [
        { nodeKey: address(1), digest: hash(0x101) },
        { nodeKey: address(2), digest: hash(0x102) },
      ],
      openedAt: 30,
      revealedAt: 35,
    });
    assert.equal(store.getRound(1)?.state, 'committed', 'a round the chain holds is recorded committed');
  });

  it('refuses a chain that was reset under the database', async () => {
    const { store, run } = recovery();
    store.openRound(1, GENESIS, 10);
    store.markAggregated(1, result(1), new Map(), [], 20);
    store.markCommitting(1);
    store.markCommitted(1, hash(9), 30);
    store.openRound(2, result(1).modelHash, 40);
    await assert.rejects(run(), (error: unknown) => error instanceof ChainStateError && (error.value as { round: number; onChain: number }).onChain === 0);
  });

  it('refuses an aggregated round the chain is more than one round behind', async () => {
    const { store, run } = recovery();
    for (const round of [1, 2]) {
      store.openRound(round, round === 1 ? GENESIS : result(1).modelHash, 10);
      store.markAggregated(round, result(round), new Map(), [], 20);
    }
    store.markCommitting(1);
    store.markCommitted(1, hash(9), 30);
    await assert.rejects(run(), (error: unknown) => error instanceof ChainStateError && (error.value as { round: number }).round === 2);
  });

  it("refuses to go on when the chain's latest model is missing from the checkpoints", async () => {
    const { chain, run } = recovery([GENESIS]);
    chain.commitOnChain(hash(0xbeef));
    await assert.rejects(run(), (error: unknown) => error instanceof ChainStateError && (error.value as { latestHash: Hex }).latestHash === hash(0xbeef));
  });
});

describe("waiting for the coordinator's own pending transactions", () => {
  const wait = (chain: FakeChain, clock: FakeClock, signal = new AbortController().signal) =>
    waitForOwnPendingTransactions({ ledger: chain, clock, logger: silentLogger, retryMaxMs: 15_000, signal });

  it('waits until none is pending', async () => {
    const chain = new FakeChain();
    const clock = new FakeClock();
    chain.pending = [2, 1, 0];
    await wait(chain, clock);
    assert.equal(chain.calls.length, 3);
    assert.deepEqual(clock.sleeps, [250, 250]);
  });

  it('gives up after 30 s when a transaction never lands', async () => {
    const chain = new FakeChain();
    const clock = new FakeClock();
    chain.pending = Array.from({ length: 1000 }, () => 1);
    const started = clock.now();
    await wait(chain, clock);
    assert.equal(clock.now() - started, 30_000);
  });

  it('stops waiting when the coordinator stops', async () => {
    const chain = new FakeChain();
    chain.pending = [1, 1, 1];
    const stopping = new AbortController();
    stopping.abort(new Error('stopping'));
    await assert.rejects(wait(chain, new FakeClock(), stopping.signal), /stopping/);
  });
});
