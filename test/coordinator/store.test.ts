import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import type { Hex } from 'viem';
import { CoordinatorStore, type VerdictRecord } from '../../coordinator/store.ts';
import type { VerdictKind } from '../../core/protocol/index.ts';
import { StoreError } from '../../coordinator/errors.ts';
import { address, hash, result, update } from './rows.ts';

const MODEL = hash(2001);

/** Node `node`'s verdict on round `round` as committed with MODEL. */
function verdictRecord(node: number, round: number, verdict: VerdictKind): VerdictRecord {
  return { round, modelHash: MODEL, rewardsRoot: hash(4001), nodeKey: address(node), verdict, signature: `0x${'ab'.repeat(65)}`, receivedMs: 5, peerId: `peer-${node}` };
}

const dir = mkdtempSync(join(tmpdir(), 'gradnet-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('CoordinatorStore', () => {
  it('migrates a fresh file, and reopening keeps the data and the schema version', () => {
    const path = join(dir, 'reopen.db');
    const store = CoordinatorStore.open(path);
    assert.equal(store.schemaVersion(), 5);
    store.openRound(1, hash(1001), 10);
    assert.equal(store.insertUpdate(update(1, 1, 11)), true);
    store.close();
    const again = CoordinatorStore.open(path);
    assert.equal(again.schemaVersion(), 5);
    assert.equal(again.getRound(1)?.state, 'open');
    assert.deepEqual(again.acceptedUpdates(1).map((u) => [u.nodeKey, u.digest, [...(u.message ?? [])]]), [[address(1), hash(11), [1, 2, 3, 1]]]);
    again.close();
  });

  it('upgrades a database from before verdicts were recorded, keeping its data', () => {
    const path = join(dir, 'before-verdicts.db');
    const store = CoordinatorStore.open(path);
    store.openRound(1, hash(1001), 10);
    store.close();
    // The file as a coordinator of schema version 4 left it.
    const old = new DatabaseSync(path);
    old.exec('DROP TABLE verdicts; PRAGMA user_version = 4;');
    old.close();
    const upgraded = CoordinatorStore.open(path);
    assert.equal(upgraded.schemaVersion(), 5);
    assert.equal(upgraded.getRound(1)?.state, 'open');
    assert.equal(upgraded.recordVerdict(verdictRecord(1, 1, 'match')), true);
    upgraded.close();
  });

  it('keeps the first audit verdict of each node key per committed version of a round, and lists them by node key', () => {
    const store = CoordinatorStore.open(':memory:');
    assert.equal(store.recordVerdict(verdictRecord(2, 1, 'mismatch')), true);
    assert.equal(store.recordVerdict(verdictRecord(1, 1, 'match')), true);
    assert.equal(store.recordVerdict({ ...verdictRecord(1, 1, 'mismatch'), receivedMs: 99 }), false, 'a second verdict of node 1 on the same commit: the first stays');
    assert.equal(store.recordVerdict({ ...verdictRecord(1, 1, 'match'), nodeKey: address(1).toLowerCase() as Hex }), false, 'whatever the case of its node key');
    assert.equal(store.recordVerdict({ ...verdictRecord(1, 1, 'match'), modelHash: hash(2222) }), true, 'the round committed anew after a void is another subject');
    assert.equal(store.recordVerdict({ ...verdictRecord(1, 1, 'match'), round: 2 }), true, 'another round');
    assert.deepEqual(store.roundVerdicts(1, MODEL.toUpperCase().replace('0X', '0x') as Hex).map((row) => [row.nodeKey, row.verdict, row.receivedMs]), [[address(1), 'match', 5], [address(2), 'mismatch', 5]]);
    assert.deepEqual(store.roundVerdicts(1, hash(2222)).map((row) => row.nodeKey), [address(1)]);
    assert.deepEqual(store.roundVerdicts(3, MODEL), []);
    store.close();
  });

  it('gives the wire bytes of a stored update by digest (served to auditors), nothing for an unknown digest', () => {
    const store = CoordinatorStore.open(':memory:');
    store.openRound(1, hash(1001), 10);
    store.insertUpdate(update(1, 1, 11));
    assert.deepEqual([...(store.updateMessage(hash(11)) ?? [])], [1, 2, 3, 1]);
    assert.deepEqual([...(store.updateMessage(hash(11).toUpperCase().replace('0X', '0x') as Hex) ?? [])], [1, 2, 3, 1], 'any case');
    assert.equal(store.updateMessage(hash(12)), undefined);
    store.close();
  });

  it('keeps the first accepted update of a node per round and counts rejections by reason', () => {
    const store = CoordinatorStore.open(':memory:');
    store.openRound(1, hash(1001), 10);
    assert.equal(store.insertUpdate(update(1, 1, 11)), true);
    assert.equal(store.insertUpdate(update(1, 1, 12)), false, 'a second accepted update of node 1 is refused');
    assert.equal(store.insertUpdate(update(1, 2, 13)), true);
    assert.equal(store.insertUpdate(update(1, 1, 14, 'rejected')), true, 'rejections are kept, as many as arrive');
    assert.equal(store.insertUpdate(update(2, 1, 15)), true, 'the next round is another slot');
    assert.deepEqual(store.updateCounts(1), { accepted: 2, rejected: { 'bad-signature': 1 } });
    assert.deepEqual(
      store.acceptedUpdates(1).map((u) => u.digest),
      [hash(11), hash(13)],
    );
    store.close();
  });

  it('refuses a database bound to another deployment', () => {
    const store = CoordinatorStore.open(':memory:');
    store.bindDeployment(31337, address(9));
    store.bindDeployment(31337, address(9));
    assert.throws(() => store.bindDeployment(31337, address(8)), (error: unknown) => error instanceof StoreError && /another data directory/.test(error.message));
    store.close();
  });

  it('walks a round open -> aggregated -> committing -> committed, once', () => {
    const store = CoordinatorStore.open(':memory:');
    store.openRound(1, hash(1001), 10);
    assert.throws(() => store.markCommitting(1), StoreError, 'an open round cannot be committed');
    store.markAggregated(1, result(1), new Map([[hash(11), 0.25]]), [], 20);
    assert.throws(() => store.markAggregated(1, result(1), new Map(), [], 21), StoreError, 'aggregating twice is refused');
    assert.equal(store.markCommitting(1).commitAttempts, 1);
    assert.equal(store.markCommitting(1).commitAttempts, 2);
    store.markCommitted(1, hash(99), 30);
    store.markCommitted(1, null, 40);
    const row = store.getRound(1);
    assert.equal(row?.state, 'committed');
    assert.equal(row?.txHash, hash(99), 'a second mark keeps the first transaction hash');
    assert.equal(row?.committedMs, 30);
    assert.equal(row?.rewardBudget, 10n ** 18n);
    assert.deepEqual(row?.stats, { rule: 'median' });
    assert.throws(() => store.openRound(1, hash(5), 50), StoreError, 'reopening a round on another base is refused');
    store.close();
  });

  it('gives the reward rows of committed rounds plus the asked round, replacing a round\'s rows on re-aggregation', () => {
    const store = CoordinatorStore.open(':memory:');
    const alice = address(0xa);
    const bob = address(0xb);
    const row = (owner: Hex, amount: bigint, counted = true) => ({ owner, amount, samples: 10, counted, score: counted ? 1 : 0 });
    store.openRound(1, hash(1001), 1);
    store.markAggregated(1, result(1), new Map(), [row(alice, 600n), row(bob, 400n)], 2);
    store.markCommitting(1);
    store.markCommitted(1, hash(1), 3);
    store.openRound(2, hash(2001), 4);
    store.markAggregated(2, result(2), new Map(), [row(alice, 1000n), row(bob, 0n, false)], 5);
    const summary = (round: number) => store.rewardRowsAsOf(round).map((r) => [r.round, r.owner, r.amount, r.counted]);
    assert.deepEqual(summary(2), [
      [1, alice, 600n, true],
      [1, bob, 400n, true],
      [2, alice, 1000n, true],
      [2, bob, 0n, false],
    ]);
    assert.deepEqual(summary(1), [
      [1, alice, 600n, true],
      [1, bob, 400n, true],
    ]);
    // Round 3 aggregated while round 2 is not committed (the loop never does this, but the query
    // must not count an uncommitted earlier round).
    store.openRound(3, hash(2002), 6);
    store.markAggregated(3, result(3), new Map(), [row(bob, 5n)], 7);
    assert.deepEqual(summary(3), [
      [1, alice, 600n, true],
      [1, bob, 400n, true],
      [3, bob, 5n, true],
    ]);
    store.close();
  });

  it('tracks node attendance, heartbeats and equivocation evidence', () => {
    const store = CoordinatorStore.open(':memory:');
    store.upsertNode({ nodeKey: address(1), owner: address(0xa), stake: 5n, active: true }, 100);
    store.upsertNode({ nodeKey: address(2), owner: address(0xa), stake: 5n, active: true }, 100);
    store.upsertNode({ nodeKey: address(3), owner: address(0xb), stake: 5n, active: false }, 100);
    store.recordHeartbeat(address(2), 1, 150);
    store.recordHeartbeat(address(2), 1, 160);
    store.recordRoundAttendance(1, [address(1)]);
    store.recordRoundAttendance(2, []);
    const nodes = new Map(store.listNodes().map((n) => [n.nodeKey, n]));
    assert.equal(nodes.get(address(1))?.missedRounds, 1);
    assert.equal(nodes.get(address(1))?.lastUpdateRound, 1);
    assert.equal(nodes.get(address(2))?.missedRounds, 2);
    assert.equal(nodes.get(address(2))?.lastSeenMs, 160);
    assert.equal(nodes.get(address(2))?.lastHeartbeatRound, 1);
    assert.equal(nodes.get(address(3))?.missedRounds, 0, 'inactive nodes do not miss rounds');

    const evidence = { evidenceHash: hash(77), nodeKey: address(1), round: 1, firstDigest: hash(1), secondDigest: hash(2), first: new Uint8Array([9]), second: new Uint8Array([8]), detectedMs: 5 };
    assert.equal(store.recordEquivocation(evidence), true);
    assert.equal(store.recordEquivocation(evidence), false);
    assert.equal(store.hasEquivocation(address(1), 1), true);
    assert.equal(store.listEquivocations('pending').length, 1);
    store.markSlash(hash(77), { status: 'slashed', txHash: hash(78) });
    assert.deepEqual(store.listEquivocations().map((e) => [e.slashStatus, e.slashTx]), [['slashed', hash(78)]]);
    store.close();
  });

  it('reports an unusable database file as a StoreError that says what to do', () => {
    const notADatabase = join(dir, 'garbage.db');
    writeFileSync(notADatabase, 'this is not sqlite, just text that is long enough to be read as a header. '.repeat(20));
    assert.throws(
      () => CoordinatorStore.open(notADatabase),
      (error: unknown) => error instanceof StoreError && error.message.includes(notADatabase) && /restart|writable/.test(error.message),
    );
  });

  it('rolls a failed transaction back completely', () => {
    const store = CoordinatorStore.open(':memory:');
    store.openRound(1, hash(1001), 1);
    assert.throws(() =>
      store.transaction(() => {
        store.insertUpdate(update(1, 1, 11));
        throw new Error('crash in the middle');
      }),
    );
    assert.equal(store.acceptedUpdates(1).length, 0);
    store.close();
  });
});

describe('coordinator store: commitments', () => {
  it('journals one commitment per node and round, orders updates by commitment, and forgets a re-collected round', () => {
    const store = CoordinatorStore.open(':memory:');
    store.openRound(1, hash(1001), 1);
    const commit = (node: number, digest: number) => store.insertCommitment({ round: 1, nodeKey: address(node), updateDigest: hash(digest), signature: hash(7), receivedMs: 2, peerId: 'p' });
    assert.equal(commit(2, 12), true);
    assert.equal(commit(1, 11), true);
    assert.equal(commit(2, 99), false, 'the first commitment of a node stays');
    assert.deepEqual(store.acceptedCommitments(1), [{ nodeKey: address(2), digest: hash(12) }, { nodeKey: address(1), digest: hash(11) }]);
    store.insertUpdate(update(1, 1, 11));
    store.insertUpdate(update(1, 2, 12));
    const [first, second] = store.acceptedUpdates(1);
    assert.deepEqual([first.nodeKey, second.nodeKey], [address(1), address(2)], 'arrival order');
    assert.ok(second.commitOrder < first.commitOrder, 'node 2 committed first: it counts as the author of a shared payload');
    store.setRevealed(1, 5);
    assert.equal(store.getRound(1)?.revealedMs, 5);
    store.forgetCommitments(1);
    assert.deepEqual([store.acceptedCommitments(1), store.getRound(1)?.revealedMs], [[], null]);
    assert.equal(commit(2, 12), true, 'taken again once forgotten');
    store.close();
  });
});
