import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import type { CommitmentEvent, UpdateEvent } from '../../core/p2p/index.ts';
import { commitmentDigest, nodeKeyAddress, signCommitment, signUpdate, updateDigest, type GradnetDomain } from '../../core/protocol/index.ts';
import { encodeDelta } from '../../core/tensor/index.ts';
import { ChainStateError } from '../../coordinator/errors.ts';
import { RoundRunner } from '../../coordinator/runner.ts';
import { GENESIS, runnerFixture, type RunnerFixture } from './fakes.ts';
import { address, hash, result } from './rows.ts';

const MODEL_1 = result(1).modelHash;

/** Round 1 aggregated in the store, its commit not known to have landed. */
function aggregatedRound1(fixture: RunnerFixture): void {
  fixture.store.openRound(1, GENESIS, Date.now() - 1000);
  fixture.store.markAggregated(1, result(1), new Map(), [], Date.now());
}

const resumeCommit = { type: 'resumeCommit', now: Date.now(), round: 1, baseHash: GENESIS, modelHash: MODEL_1 } as const;

/** A signed update of round 1 on genesis by `privateKey`, as gossip delivers it. */
async function updateEvent(privateKey: Hex, domain: GradnetDomain, values: number[]): Promise<UpdateEvent> {
  const delta = new Float32Array(values);
  const update = await signUpdate({ privateKey, domain, round: 1, baseModelHash: GENESIS, samples: 10, trainLoss: 0.5, codec: 'fp32', payload: encodeDelta('fp32', delta).payload });
  return { update, digest: updateDigest(update, domain), delta, peer: 'peer-a' };
}

/** The commitment of `privateKey` to the update `updateDigest` of round 1, as gossip delivers it. */
async function commitmentEvent(privateKey: Hex, domain: GradnetDomain, committed: Hex): Promise<CommitmentEvent> {
  const commitment = await signCommitment({ privateKey, domain, round: 1, baseModelHash: GENESIS, updateDigest: committed });
  return { commitment, digest: commitmentDigest(commitment, domain), peer: 'peer-a' };
}

/** Registers `nodeKey` in the fixture's node view as the registry would report it. */
function registered(fixture: RunnerFixture, nodeKey: Hex, active = true): void {
  fixture.store.upsertNode({ nodeKey, owner: address(0xeeee), stake: 1n, active }, Date.now());
}

describe('coordinator round runner (fake chain and gossip, in-memory store)', () => {
  it('finds an aggregated round already on chain: records its transaction, sends none, announces it and opens the next round', async () => {
    const fixture = runnerFixture({ maxRounds: 1 });
    aggregatedRound1(fixture);
    fixture.store.markCommitting(1);
    const landed = fixture.chain.commitOnChain(MODEL_1);
    const runner = new RoundRunner(fixture.ports);
    const committed = once(fixture.events, 'roundCommitted');
    await runner.start(resumeCommit);
    assert.deepEqual((await committed)[0], { round: 1, modelHash: MODEL_1, txHash: landed.transactionHash });
    await runner.ended; // maxRounds reached
    await runner.stop();

    assert.deepEqual([fixture.store.getRound(1)?.state, fixture.store.getRound(1)?.txHash], ['committed', landed.transactionHash]);
    assert.equal(fixture.chain.calls.includes('commitRound'), false, 'no second transaction');
    assert.deepEqual(
      fixture.gossip.announces.map(({ round, modelHash, parentHash }) => ({ round, modelHash, parentHash })),
      [{ round: 1, modelHash: MODEL_1, parentHash: GENESIS }],
    );
    const state = runner.roundState();
    assert.deepEqual([state.phase, state.phase === 'collecting' && state.round, state.phase === 'collecting' && state.baseHash], ['collecting', 2, MODEL_1]);
    assert.deepEqual(fixture.gossip.admitted, { round: 2, baseHash: MODEL_1, reveal: false }, 'commitments are validated against round 2 now');
    assert.equal(fixture.store.getRound(2)?.state, 'open');
  });

  it('resumes an open round with the commitments and updates the database kept and the deadline it first had', async () => {
    const fixture = runnerFixture({ round: { quorum: 3, deadlineMs: 60_000, maxWaitMs: 120_000 } });
    for (const n of [1, 2, 3]) registered(fixture, address(n));
    const openedAt = Date.now() - 5000;
    fixture.store.openRound(1, GENESIS, openedAt);
    const commitments = [1, 2].map((n) => ({ nodeKey: address(n), digest: hash(0x100 + n) }));
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'start', now: Date.now(), round: 1, baseHash: GENESIS, commitments, accepted: commitments.slice(0, 1), openedAt });
    await runner.stop();
    assert.deepEqual(runner.status(), { phase: 'collecting', round: 1, baseHash: GENESIS, stage: 'commit', deadline: openedAt + 60_000, committed: 2, accepted: 1, quorum: 3, halted: null });
    assert.deepEqual(fixture.gossip.roundOpens, [{ round: 1, baseModelHash: GENESIS, deadline: openedAt + 60_000, reveal: false }]);
    assert.deepEqual(fixture.gossip.admitted, { round: 1, baseHash: GENESIS, reveal: false });
  });

  it('resumes a round whose reveal was open: announces the reveal again and refuses commitments', async () => {
    const fixture = runnerFixture({ round: { quorum: 3, deadlineMs: 60_000, maxWaitMs: 120_000, revealMs: 30_000 } });
    const openedAt = Date.now() - 5000;
    const revealedAt = Date.now() - 1000;
    fixture.store.openRound(1, GENESIS, openedAt);
    const commitments = [1, 2, 3].map((n) => ({ nodeKey: address(n), digest: hash(0x100 + n) }));
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'start', now: Date.now(), round: 1, baseHash: GENESIS, commitments, openedAt, revealedAt });
    await runner.stop();
    assert.equal(runner.status().stage, 'reveal');
    assert.deepEqual(fixture.gossip.roundOpens.at(-1), { round: 1, baseModelHash: GENESIS, deadline: revealedAt + 30_000, reveal: true });
    assert.deepEqual(fixture.gossip.admitted, { round: 1, baseHash: GENESIS, reveal: true });
    assert.equal(fixture.store.getRound(1)?.revealedMs, revealedAt, 'journalled');
  });

  it("retries a failed commit once the coordinator's own pending transaction has landed", async () => {
    const fixture = runnerFixture({ round: { retryBaseMs: 20, retryMaxMs: 100 } });
    aggregatedRound1(fixture);
    fixture.chain.commitFailures = [new Error('connection refused')];
    fixture.chain.pending = [1, 0];
    const runner = new RoundRunner(fixture.ports);
    const committed = once(fixture.events, 'roundCommitted');
    await runner.start(resumeCommit);
    await committed;
    await runner.stop();
    assert.deepEqual(
      fixture.chain.calls.filter((call) => call === 'commitRound' || call === 'pendingTransactionCount'),
      ['commitRound', 'pendingTransactionCount', 'pendingTransactionCount', 'commitRound'],
    );
    assert.equal(fixture.chain.rounds.length, 1);
    assert.deepEqual([fixture.store.getRound(1)?.state, fixture.store.getRound(1)?.commitAttempts], ['committed', 2]);
    assert.equal((await fixture.ports.metrics.commitErrors.get()).values[0].value, 1);
  });

  it('halts, sending nothing, when the chain holds the round with another model', async () => {
    const fixture = runnerFixture();
    aggregatedRound1(fixture);
    fixture.chain.commitOnChain(hash(0xbad));
    const runner = new RoundRunner(fixture.ports);
    const halted = once(fixture.events, 'halted');
    await runner.start(resumeCommit);
    await assert.rejects(runner.ended, ChainStateError);
    await halted;
    await runner.stop();
    assert.equal(fixture.chain.calls.includes('commitRound'), false);
    assert.ok(runner.status().halted);
    assert.equal(fixture.store.getRound(1)?.state, 'committing');
  });

  it('keeps the first update of a node and stores a second, different one as slashing evidence', async () => {
    const fixture = runnerFixture({ round: { quorum: 3 } });
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'start', now: Date.now(), round: 1, baseHash: GENESIS });
    const privateKey = generatePrivateKey();
    const first = await updateEvent(privateKey, fixture.ports.model.domain, [1, 2, 3]);
    const second = await updateEvent(privateKey, fixture.ports.model.domain, [3, 2, 1]);

    runner.onCommitment(await commitmentEvent(privateKey, fixture.ports.model.domain, first.digest));
    runner.onUpdate(first);
    assert.deepEqual(fixture.store.acceptedUpdates(1).map((row) => row.digest), [first.digest], 'on disk before the round counts it');
    runner.onUpdate(second);
    runner.onUpdate(first);
    await runner.stop();

    assert.deepEqual(fixture.store.acceptedUpdates(1).map((row) => row.digest), [first.digest], 'the first stays');
    assert.equal(runner.status().accepted, 1);
    const evidence = fixture.store.listEquivocations('pending');
    assert.deepEqual(evidence.map((row) => [row.firstDigest, row.secondDigest]), [[first.digest, second.digest]]);
    assert.deepEqual(fixture.store.roundUpdates(1).map((row) => [row.verdict, row.reason]), [['accepted', null], ['rejected', 'equivocation']], 'a duplicate is not stored again');
    assert.equal(fixture.drains(), 2, 'slashes are sent at start and once the evidence is in');
  });

  it('counts towards the quorum only active nodes that have not failed, and closes the round with them', async () => {
    const fixture = runnerFixture({ round: { quorum: 3, deadlineMs: 60_000, maxWaitMs: 120_000 }, nodes: { failAfterMissedRounds: 2 } });
    const keys = [generatePrivateKey(), generatePrivateKey()];
    const [alice, bob] = keys.map((key) => nodeKeyAddress(key));
    const [failing, slashed] = [address(3), address(4)];
    for (const nodeKey of [alice, bob, failing]) registered(fixture, nodeKey);
    registered(fixture, slashed, false);
    // Two committed rounds without the failing node.
    fixture.store.recordRoundAttendance(1, [alice, bob]);
    fixture.store.recordRoundAttendance(2, [alice, bob]);
    const closed: object[] = [];
    fixture.ports.logger = { ...fixture.ports.logger, info: (fields, message) => message.startsWith('round closed') && closed.push(fields) };
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'start', now: Date.now(), round: 1, baseHash: GENESIS });
    assert.equal(runner.status().quorum, 2, 'the failed and the inactive node do not count');
    const liveness = new Map(fixture.ports.nodes.list(Date.now()).map((node) => [node.nodeKey, node.liveness]));
    assert.deepEqual([liveness.get(failing), liveness.get(slashed), liveness.get(alice)], ['failed', 'inactive', 'never-seen']);

    const updates = [await updateEvent(keys[0], fixture.ports.model.domain, [1, 2, 3]), await updateEvent(keys[1], fixture.ports.model.domain, [3, 2, 1])];
    runner.onCommitment(await commitmentEvent(keys[0], fixture.ports.model.domain, updates[0].digest));
    assert.equal(runner.status().stage, 'commit');
    runner.onCommitment(await commitmentEvent(keys[1], fixture.ports.model.domain, updates[1].digest));
    assert.equal(runner.status().stage, 'reveal', 'revealed with the two nodes that count, not at the longest wait');
    runner.onUpdate(updates[0]);
    assert.deepEqual(closed, []);
    runner.onUpdate(updates[1]);
    await runner.stop();
    assert.deepEqual(closed, [{ round: 1, updates: 2, reason: 'all-revealed' }]);

    fixture.store.recordRoundAttendance(3, [failing]);
    assert.equal(fixture.ports.nodes.list(Date.now()).find((node) => node.nodeKey === failing)?.liveness, 'never-seen', 'active again once it contributes');
    assert.deepEqual(fixture.ports.nodes.quorumMembers().sort(), [alice, bob, failing].sort());
  });
});

describe('coordinator round runner: commit, then reveal (copies cannot earn)', () => {
  /** Two registered nodes that commit to their updates; the round reveals once both have. */
  async function revealedRound(fixture: RunnerFixture): Promise<{ runner: RoundRunner; keys: Hex[]; updates: UpdateEvent[] }> {
    const { domain } = fixture.ports.model;
    const keys = [generatePrivateKey(), generatePrivateKey(), generatePrivateKey()];
    for (const key of keys) registered(fixture, nodeKeyAddress(key));
    const runner = new RoundRunner(fixture.ports);
    await runner.start({ type: 'start', now: Date.now(), round: 1, baseHash: GENESIS });
    const updates = [await updateEvent(keys[0], domain, [1, 2, 3]), await updateEvent(keys[1], domain, [3, 2, 1])];
    for (const [i, update] of updates.entries()) runner.onCommitment(await commitmentEvent(keys[i], domain, update.digest));
    return { runner, keys, updates };
  }

  it('refuses an honest payload re-signed by a copier who reaches the coordinator first, and counts the author', async () => {
    const fixture = runnerFixture({ round: { quorum: 3, deadlineMs: 60_000, maxWaitMs: 120_000 } });
    const { domain } = fixture.ports.model;
    const copier = generatePrivateKey();
    registered(fixture, nodeKeyAddress(copier));
    const { runner, keys, updates } = await revealedRound(fixture);
    // The copier committed to a junk update of its own in time, then saw the author's payload revealed.
    runner.onCommitment(await commitmentEvent(copier, domain, hash(0xbeef)));
    assert.equal(runner.status().stage, 'reveal', 'every live node committed');
    const copy = await updateEvent(copier, domain, [1, 2, 3]);
    assert.equal(copy.update.payloadDigest, updates[0].update.payloadDigest, 'the exact payload, re-signed');
    runner.onUpdate(copy);
    runner.onUpdate(updates[0]);
    await runner.stop();
    assert.deepEqual(fixture.store.acceptedUpdates(1).map((row) => row.nodeKey), [nodeKeyAddress(keys[0])], 'only the author counts');
    assert.deepEqual(fixture.store.roundUpdates(1).map((row) => [row.nodeKey, row.verdict, row.reason]), [
      [nodeKeyAddress(copier), 'rejected', 'uncommitted'],
      [nodeKeyAddress(keys[0]), 'accepted', null],
    ]);
  });

  it('refuses a noisy copy too: it matches no commitment made before the reveal', async () => {
    const fixture = runnerFixture({ round: { quorum: 2, deadlineMs: 60_000, maxWaitMs: 120_000 } });
    const { domain } = fixture.ports.model;
    const { runner, keys, updates } = await revealedRound(fixture);
    const noisy = await updateEvent(keys[1], domain, [1.001, 2.002, 2.999]);
    runner.onUpdate(noisy);
    runner.onUpdate(updates[0]);
    await runner.stop();
    assert.deepEqual(fixture.store.acceptedUpdates(1).map((row) => row.digest), [updates[0].digest]);
    assert.deepEqual(fixture.store.roundUpdates(1).find((row) => row.digest === noisy.digest)?.reason, 'uncommitted');
  });

  it('refuses a commitment once the reveal is open (commit_late), counted with the round refusals', async () => {
    const fixture = runnerFixture({ round: { quorum: 2, deadlineMs: 60_000, maxWaitMs: 120_000 } });
    const { domain } = fixture.ports.model;
    const { runner } = await revealedRound(fixture);
    assert.equal(runner.status().stage, 'reveal');
    const late = generatePrivateKey();
    const lateUpdate = await updateEvent(late, domain, [5, 5, 5]);
    runner.onCommitment(await commitmentEvent(late, domain, lateUpdate.digest));
    runner.onUpdate(lateUpdate);
    await runner.stop();
    assert.deepEqual(fixture.store.acceptedCommitments(1).length, 2);
    assert.deepEqual(fixture.store.roundRefusals(1, { limit: 10, offset: 0 }).map((row) => [row.reason, row.count]), [['commit_late', 1]]);
    assert.equal(fixture.store.roundUpdates(1).find((row) => row.digest === lateUpdate.digest)?.reason, 'uncommitted');
    assert.equal((await fixture.ports.metrics.commitmentsRejected.get()).values.find((value) => value.labels.reason === 'commit_late')?.value, 1);
  });

  it('collects a round whose aggregation failed again from the same commitments and updates, re-sent', async () => {
    const fixture = runnerFixture({ round: { quorum: 2, deadlineMs: 60_000, maxWaitMs: 120_000 } });
    const { domain } = fixture.ports.model;
    const { runner, keys, updates } = await revealedRound(fixture);
    const reopened = once(fixture.events, 'roundOpened');
    for (const update of updates) runner.onUpdate(update);
    // The fixture holds no base checkpoint: the aggregation fails and the round is collected again.
    assert.equal((await reopened)[0].reopened, true);
    assert.deepEqual(fixture.gossip.forgotten, [1], 'the validator forgets what it saw of the round');
    assert.deepEqual([runner.status().stage, runner.status().committed, runner.status().accepted], ['commit', 0, 0]);
    for (const [i, update] of updates.entries()) runner.onCommitment(await commitmentEvent(keys[i], domain, update.digest));
    assert.equal(fixture.store.acceptedCommitments(1).length, 2, 'the same commitments are journalled again');
    assert.equal(runner.status().stage, 'reveal');
    const again = once(fixture.events, 'roundOpened');
    for (const update of updates) runner.onUpdate(update);
    await again;
    await runner.stop();
    // Aggregated a second time from the same two updates (and, with no checkpoint, failed again).
    assert.equal(fixture.store.roundUpdates(1).filter((row) => row.reason === 'aggregation_failed').length, 4);
  });
});
