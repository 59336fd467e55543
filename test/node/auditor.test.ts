import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, toHex, type Hex } from 'viem';
import { applyRound } from '../../core/audit/index.ts';
import type { CommittedRound } from '../../core/chain/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { createCheckpoint, type Checkpoint } from '../../core/tensor/index.ts';
import { RoundAuditor, type ObservedUpdate } from '../../node/auditor.ts';

const logger = createLogger({ name: 'test', level: 'silent' });
const layout = [{ name: 'w', shape: [4, 8] }, { name: 'b', shape: [8] }];
const size = 40;

function vector(seed: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 31 + i) * 0.01);
}

function genesis(): Checkpoint {
  return createCheckpoint({ layout, params: vector(1), meta: { round: 0, model: { name: 'mlp', hidden: 8 } } });
}

function observed(parent: Checkpoint, index: number): ObservedUpdate {
  return { round: 1, baseModelHash: parent.modelHash, nodeKey: `0x${String(index).repeat(40)}` as Hex, digest: keccak256(toHex(`update-${index}`)), delta: vector(10 + index), samples: 640 };
}

function committedFrom(parent: Checkpoint, updates: ObservedUpdate[], aggregation = { rule: 'mean' as const }): { committed: CommittedRound; produced: Checkpoint } {
  const applied = applyRound({ parent, round: 1, updates, aggregation });
  const committed: CommittedRound = {
    roundId: 1, modelHash: applied.checkpoint.modelHash, parentHash: parent.modelHash, updatesRoot: applied.updatesRoot,
    rewardsRoot: keccak256(toHex('rewards')), contributors: updates.length, totalSamples: 640 * updates.length, loss: 0, accuracy: 0,
    rewardBudget: 0n, blockNumber: 5n, committedAt: 0, transactionHash: keccak256(toHex('tx')),
  };
  return { committed, produced: applied.checkpoint };
}

describe('RoundAuditor', () => {
  it('recomputes the committed model from the observed updates: match', () => {
    const parent = genesis();
    const updates = [0, 1, 2].map((index) => observed(parent, index));
    const { committed, produced } = committedFrom(parent, updates, { rule: 'multiKrum' as never });
    const auditor = new RoundAuditor({ logger });
    for (const update of [...updates].reverse()) auditor.observe(update);
    const result = auditor.audit(committed, parent, produced);
    assert.equal(result.verdict, 'match');
    assert.equal(result.computedModelHash, committed.modelHash);
  });

  it('reports a mismatch when the chain holds another model for the same updates', () => {
    const parent = genesis();
    const updates = [0, 1, 2].map((index) => observed(parent, index));
    const { committed, produced } = committedFrom(parent, updates);
    const auditor = new RoundAuditor({ logger });
    updates.forEach((update) => auditor.observe(update));
    const result = auditor.audit({ ...committed, modelHash: keccak256(toHex('forged')) }, parent, produced);
    assert.equal(result.verdict, 'mismatch');
  });

  it('reports a mismatch when the committed model carries crafted momentum that moves the next round', () => {
    const parent = genesis();
    const updates = [0, 1, 2].map((index) => observed(parent, index));
    const { committed, produced } = committedFrom(parent, updates);
    const crafted = createCheckpoint({ ...produced, momentum: Float32Array.from(produced.params, (_, i) => (i % 2 === 0 ? 5 : -5)) });
    const roundTwo = [{ digest: keccak256(toHex('round-2')), delta: vector(20), samples: 640 }];
    const next = (from: Checkpoint): Float32Array => applyRound({ parent: from, round: 2, updates: roundTwo, aggregation: { rule: 'mean' } }).checkpoint.params;
    assert.notDeepEqual(next(crafted), next(produced));
    const auditor = new RoundAuditor({ logger });
    updates.forEach((update) => auditor.observe(update));
    const result = auditor.audit({ ...committed, modelHash: crafted.modelHash }, parent, crafted);
    assert.equal(result.verdict, 'mismatch');
    assert.equal(result.computedModelHash, produced.modelHash);
  });

  it('picks the round\'s updates out of a superset with the coordinator\'s digest list, checked against the root', () => {
    const parent = genesis();
    const updates = [0, 1, 2].map((index) => observed(parent, index));
    const { committed, produced } = committedFrom(parent, updates.slice(0, 2));
    const auditor = new RoundAuditor({ logger });
    updates.forEach((update) => auditor.observe(update));
    assert.equal(auditor.audit(committed, parent, produced, updates.slice(0, 2).map((update) => update.digest)).verdict, 'match');
    updates.forEach((update) => auditor.observe(update));
    const lied = auditor.audit(committed, parent, produced, [updates[0].digest, updates[2].digest]);
    assert.equal(lied.verdict, 'skipped');
  });

  it('skips a round whose updates it did not all see', () => {
    const parent = genesis();
    const updates = [0, 1, 2].map((index) => observed(parent, index));
    const { committed, produced } = committedFrom(parent, updates);
    const auditor = new RoundAuditor({ logger });
    auditor.observe(updates[0]);
    auditor.observe(updates[2]);
    const result = auditor.audit(committed, parent, produced);
    assert.equal(result.verdict, 'skipped');
    assert.match(result.reason, /saw 2 updates/);
  });
});
