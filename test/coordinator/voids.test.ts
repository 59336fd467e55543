import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { waitFor } from '../../core/process/index.ts';
import type { RoundState } from '../../core/round/index.ts';
import { RoundRunner } from '../../coordinator/runner.ts';
import { VoidFollower } from '../../coordinator/voids.ts';
import { CoordinatorStore } from '../../coordinator/store.ts';
import { GENESIS, runnerFixture, type RunnerFixture } from './fakes.ts';
import { address, hash, result, update } from './rows.ts';

const MODEL = (round: number): Hex => result(round).modelHash;
const POLL = { nodes: { pollMs: 20 } };

/** Rounds 1..`count` committed in the store and on the fake chain, each on the previous model. */
function committedRounds(fixture: RunnerFixture, count: number): void {
  for (let round = 1; round <= count; round += 1) {
    fixture.store.openRound(round, round === 1 ? GENESIS : MODEL(round - 1), Date.now());
    fixture.store.markAggregated(round, result(round), new Map(), [{ owner: address(0xeeee), amount: 10n, samples: 10, counted: true, score: 1 }], Date.now());
    fixture.store.markCommitted(round, hash(0x7000 + round), Date.now());
    fixture.chain.commitOnChain(MODEL(round));
  }
}

/** An accepted update of `node` in `round` on `baseHash`, and the commitment to it before, as the intake stores them. */
function accepted(store: CoordinatorStore, round: number, node: number, baseHash: Hex): Hex {
  const row = { ...update(round, node, 0x500 + 16 * round + node), baseHash };
  const digest = row.digest as Hex;
  assert.equal(store.insertCommitment({ round, nodeKey: address(node), updateDigest: digest, signature: hash(7), receivedMs: 1, peerId: null }), true);
  assert.equal(store.insertUpdate(row), true);
  return digest;
}

/** The fixture's checkpoint store holds `modelHash` (recovery checks only that the file is there). */
async function holdCheckpoint(fixture: RunnerFixture, modelHash: Hex): Promise<void> {
  await mkdir(fixture.ports.checkpoints.dir, { recursive: true });
  await writeFile(join(fixture.ports.checkpoints.dir, `${modelHash}.ckpt`), 'x');
}

function collecting(runner: RoundRunner): { round: number; baseHash: Hex; updates: number } | undefined {
  const state = runner.roundState();
  return state.phase === 'collecting' ? { round: state.round, baseHash: state.baseHash, updates: state.updates.length } : undefined;
}

describe('coordinator store: voided rounds', () => {
  it('keeps a record of the voided rounds, reopens the first on its base with its updates, drops later rounds and every voided reward', () => {
    const fixture = runnerFixture();
    committedRounds(fixture, 3);
    const { store } = fixture;
    const kept = accepted(store, 2, 1, MODEL(1));
    accepted(store, 3, 1, MODEL(2));

    assert.deepEqual(store.markRoundsVoided(2, 5_000), [2, 3]);

    assert.deepEqual(store.voidedRounds().map(({ round, modelHash, rewardsRoot, txHash }) => ({ round, modelHash, rewardsRoot, txHash })), [
      { round: 2, modelHash: MODEL(2), rewardsRoot: result(2).rewardsRoot, txHash: hash(0x7002) },
      { round: 3, modelHash: MODEL(3), rewardsRoot: result(3).rewardsRoot, txHash: hash(0x7003) },
    ]);
    const reopened = store.getRound(2);
    assert.deepEqual([reopened?.state, reopened?.baseHash, reopened?.modelHash, reopened?.txHash, reopened?.openedMs], ['open', MODEL(1), undefined, null, 5_000]);
    assert.equal(store.getRound(3), null);
    assert.equal(store.latestCommittedRound()?.round, 1);
    assert.deepEqual(store.acceptedUpdates(2).map((row) => row.digest), [kept]);
    assert.deepEqual(store.rewardRowsAsOf(3).map((row) => row.round), [1], 'no reward of a voided round counts');
  });

  it('hands back what a voided round kept when it opens again on the same base, and drops it on another base', () => {
    const fixture = runnerFixture();
    committedRounds(fixture, 3);
    const { store } = fixture;
    const update = accepted(store, 4, 1, MODEL(3));
    store.openRound(4, MODEL(3), Date.now());
    assert.deepEqual(store.keptFromVoid(4, MODEL(3)), { commitments: [], updates: [] }, 'nothing is kept of a round no void took back');
    store.markRoundsVoided(3, Date.now());

    const kept = store.keptFromVoid(4, MODEL(3));
    assert.deepEqual(kept.commitments.map((entry) => entry.digest), [update]);
    assert.deepEqual(kept.updates.map((entry) => entry.digest), [update]);
    assert.deepEqual(store.keptFromVoid(4, hash(0xdead)), { commitments: [], updates: [] }, 'another base: nothing to take back');
    assert.deepEqual(store.acceptedCommitments(4), []);
    assert.equal(store.roundUpdates(4).find((row) => row.digest === update)?.reason, 'voided_base');
  });
});

describe('coordinator runner after a void (fake chain, in-memory store)', () => {
  it('carries on from the restored head while collecting: the voided rounds are marked and the first is collected again with its updates', async () => {
    const fixture = runnerFixture({ ...POLL, round: { quorum: 3, deadlineMs: 60_000, maxWaitMs: 120_000 } });
    committedRounds(fixture, 2);
    await holdCheckpoint(fixture, MODEL(1));
    accepted(fixture.store, 2, 1, MODEL(1));
    accepted(fixture.store, 2, 2, MODEL(1));
    fixture.store.openRound(3, MODEL(2), Date.now());
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'start', now: Date.now(), round: 3, baseHash: MODEL(2) });
    assert.deepEqual(collecting(runner), { round: 3, baseHash: MODEL(2), updates: 0 });

    fixture.chain.voidFrom(2);
    const reopened = await waitFor('round 2 collected again', () => collecting(runner)?.round === 2 || undefined, { timeoutMs: 5_000, pollMs: 10 });
    await runner.stop();

    assert.equal(reopened, true);
    assert.deepEqual(collecting(runner), { round: 2, baseHash: MODEL(1), updates: 2 });
    assert.deepEqual(fixture.gossip.admitted, { round: 2, baseHash: MODEL(1), reveal: false });
    assert.deepEqual(fixture.gossip.roundOpens.at(-1)?.round, 2);
    assert.deepEqual(fixture.store.voidedRounds().map((row) => [row.round, row.modelHash]), [[2, MODEL(2)], [3, null]]);
    assert.equal(fixture.store.getRound(3), null);
    assert.equal(runner.status().halted, null);
  });

  it('turns a commit that finds the head moved back under it into a restart from the head, not a halt', async () => {
    const fixture = runnerFixture({ ...POLL, round: { quorum: 3, deadlineMs: 60_000, maxWaitMs: 120_000 } });
    committedRounds(fixture, 2);
    await holdCheckpoint(fixture, MODEL(1));
    fixture.store.openRound(3, MODEL(2), Date.now());
    fixture.store.markAggregated(3, result(3), new Map(), [], Date.now());
    fixture.chain.voidFrom(2);
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'resumeCommit', now: Date.now(), round: 3, baseHash: MODEL(2), modelHash: MODEL(3) });
    await waitFor('round 2 collected again', () => collecting(runner)?.round === 2 || undefined, { timeoutMs: 5_000, pollMs: 10 });
    await runner.stop();

    assert.equal(runner.status().halted, null);
    assert.equal(fixture.chain.calls.includes('commitRound'), false, 'round 3 was not sent on a head it does not build on');
    assert.deepEqual(collecting(runner), { round: 2, baseHash: MODEL(1), updates: 0 });
  });

  it('takes back the kept commitments and updates of a later voided round when it opens again on the same model', async () => {
    const fixture = runnerFixture({ ...POLL, round: { quorum: 2, deadlineMs: 60_000, maxWaitMs: 120_000, closeWhenAllReported: false } });
    committedRounds(fixture, 2);
    await holdCheckpoint(fixture, MODEL(2));
    // Round 3 was collecting on round 2's model when round 2 was voided; round 2, collected again
    // from the same updates, comes out the same.
    accepted(fixture.store, 3, 1, MODEL(2));
    accepted(fixture.store, 3, 2, MODEL(2));
    // A third node had only committed: its update waits for a reveal, and its commitment is never re-taken from gossip.
    fixture.store.insertCommitment({ round: 3, nodeKey: address(3), updateDigest: hash(0x5333), signature: hash(7), receivedMs: 1, peerId: null });
    fixture.store.openRound(3, MODEL(2), Date.now());
    fixture.chain.voidFrom(2);
    fixture.store.markRoundsVoided(2, Date.now());
    fixture.store.markAggregated(2, result(2), new Map(), [], Date.now());
    const runner = new RoundRunner(fixture.ports);
    const committed = once(fixture.events, 'roundCommitted');
    await runner.start({ type: 'resumeCommit', now: Date.now(), round: 2, baseHash: MODEL(1), modelHash: MODEL(2) });
    await committed;
    await waitFor('round 3 with its kept updates', () => collecting(runner)?.updates === 2 || undefined, { timeoutMs: 5_000, pollMs: 10 });
    let opened = 0;
    fixture.events.on('roundOpened', () => (opened += 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await runner.stop();
    assert.deepEqual(collecting(runner), { round: 3, baseHash: MODEL(2), updates: 2 });
    const state = runner.roundState();
    assert.equal(state.phase === 'collecting' ? state.commitments.length : 0, 3, 'the commitment without its update is taken back too');
    assert.equal(opened, 0, 'taken back once, not restarted over and over');
  });

  it('waits, not halts, while a round it did not produce sits on chain in its challenge window, and commits its own once that round is voided', async () => {
    const fixture = runnerFixture({ ...POLL, round: { retryBaseMs: 20, retryMaxMs: 50 } });
    committedRounds(fixture, 1);
    fixture.store.openRound(2, MODEL(1), Date.now());
    fixture.store.markAggregated(2, result(2), new Map(), [], Date.now());
    fixture.chain.commitOnChain(hash(0xbad));
    fixture.chain.finalThrough = 1;
    const runner = new RoundRunner(fixture.ports);
    const committed = once(fixture.events, 'roundCommitted');
    await runner.start({ type: 'resumeCommit', now: Date.now(), round: 2, baseHash: MODEL(1), modelHash: MODEL(2) });
    await waitFor('a few commit attempts', () => fixture.chain.calls.filter((call) => call === 'roundCount').length >= 6 || undefined, { timeoutMs: 5_000, pollMs: 10 });
    assert.equal(runner.status().halted, null);
    assert.equal(runner.roundState().phase, 'committing');

    fixture.chain.voidFrom(2);
    assert.deepEqual((await committed)[0].modelHash, MODEL(2));
    await runner.stop();
    assert.deepEqual(fixture.chain.rounds.map((round) => round.modelHash), [MODEL(1), MODEL(2)]);
  });

  it('halts when the round it did not produce became final', async () => {
    const fixture = runnerFixture({ ...POLL, round: { retryBaseMs: 20, retryMaxMs: 50 } });
    committedRounds(fixture, 1);
    fixture.store.openRound(2, MODEL(1), Date.now());
    fixture.store.markAggregated(2, result(2), new Map(), [], Date.now());
    fixture.chain.commitOnChain(hash(0xbad));
    fixture.chain.finalThrough = 2;
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'resumeCommit', now: Date.now(), round: 2, baseHash: MODEL(1), modelHash: MODEL(2) });
    await assert.rejects(runner.ended, /already on chain with model/);
    await runner.stop();
  });

  it('leaves alone a round restarted from the journal that is already aggregating the kept updates', () => {
    const fixture = runnerFixture();
    committedRounds(fixture, 2);
    fixture.store.openRound(3, MODEL(2), Date.now());
    accepted(fixture.store, 3, 1, MODEL(2));
    fixture.store.markRoundsVoided(3, Date.now());
    let restarts = 0;
    const updates = fixture.store.acceptedUpdates(3).map(({ nodeKey, digest }) => ({ nodeKey, digest }));
    const aggregating = { phase: 'aggregating', round: 3, baseHash: MODEL(2), updates, closedAt: 0, config: runnerFixture().ports.config.round, lastSeen: {}, activeSet: null } as unknown as RoundState;
    const follower = new VoidFollower({
      chain: fixture.chain,
      store: fixture.store,
      checkpoints: fixture.ports.checkpoints,
      clock: fixture.ports.clock,
      logger: fixture.ports.logger,
      pollMs: 1000,
      state: () => aggregating,
      rebase: () => (restarts += 1),
      track: (work) => void work,
    });
    follower.resumeKept(3, MODEL(2));
    assert.equal(restarts, 0);
  });

  it('halts when the head went back and no RoundsVoided event explains it (a reset chain)', async () => {
    const fixture = runnerFixture({ ...POLL, round: { quorum: 3, deadlineMs: 60_000, maxWaitMs: 120_000 } });
    committedRounds(fixture, 2);
    fixture.store.openRound(3, MODEL(2), Date.now());
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'start', now: Date.now(), round: 3, baseHash: MODEL(2) });
    fixture.chain.rounds.splice(1);
    await assert.rejects(runner.ended, /no RoundsVoided event explains it/);
    await runner.stop();
    assert.equal(fixture.store.voidedRounds().length, 0);
  });
});
