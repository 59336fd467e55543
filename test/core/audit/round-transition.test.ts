import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keccak256, toHex, type Hex } from 'viem';
import { applyRound, AuditConfigError, checkpointAggregation, checkpointUpdates, AuditInputError, EMPTY_UPDATES_ROOT, updatesRoot } from '../../../core/audit/index.ts';
import { createCheckpoint, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../../core/tensor/index.ts';

const layout = [
  { name: 'dense/kernel', shape: [4, 3] },
  { name: 'dense/bias', shape: [3] },
] as const;
const length = 15;

function vector(seed: number, scale = 1): Float32Array {
  const values = new Float32Array(length);
  for (let k = 0; k < length; k++) values[k] = Math.sin(seed * 31 + k * 7) * scale;
  return values;
}

function genesis(): Checkpoint {
  return createCheckpoint({ layout, params: vector(1), meta: { round: 0, model: { name: 'mlp', hidden: 128 } as never } });
}

function update(seed: number) {
  return { digest: keccak256(toHex(`update-${seed}`)), delta: vector(seed, 0.01), samples: 100 + seed };
}

describe('applyRound', () => {
  const updates = [1, 2, 3, 4, 5, 6, 7].map(update);

  it('gives the same weights, momentum and updates root for any arrival order, and records that order (the scoring\'s) under the hash', () => {
    const first = applyRound({ parent: genesis(), round: 1, updates, aggregation: {} });
    const reversed = applyRound({ parent: genesis(), round: 1, updates: [...updates].reverse(), aggregation: {} });
    assert.deepEqual(Buffer.from(first.checkpoint.params.buffer), Buffer.from(reversed.checkpoint.params.buffer));
    assert.deepEqual(Buffer.from(first.checkpoint.momentum!.buffer), Buffer.from(reversed.checkpoint.momentum!.buffer));
    assert.equal(first.updatesRoot, reversed.updatesRoot);
    assert.equal(first.checkpoint.meta.parentHash, genesis().modelHash);
    assert.deepEqual(checkpointUpdates(first.checkpoint), updates.map((entry) => entry.digest.toLowerCase()));
    assert.deepEqual(checkpointUpdates(reversed.checkpoint), [...updates].reverse().map((entry) => entry.digest.toLowerCase()));
    // Who of two equal payloads came first decides who is paid: the order is committed with the model.
    assert.notEqual(first.checkpoint.modelHash, reversed.checkpoint.modelHash);
    const replayed = applyRound({ parent: genesis(), round: 1, updates: checkpointUpdates(reversed.checkpoint)!.map((digest) => updates.find((entry) => entry.digest === digest)!), aggregation: {} });
    assert.equal(replayed.checkpoint.modelHash, reversed.checkpoint.modelHash);
    assert.equal(checkpointUpdates(genesis()), undefined);
  });

  it('replays a chain of rounds from encoded checkpoints to the same hashes', () => {
    const round1 = applyRound({ parent: genesis(), round: 1, updates, aggregation: { rule: 'median' } });
    const shipped = decodeCheckpoint(encodeCheckpoint(round1.checkpoint), round1.checkpoint.modelHash);
    const round2 = applyRound({ parent: round1.checkpoint, round: 2, updates: updates.slice(2), aggregation: { rule: 'median' } });
    const replayed = applyRound({ parent: shipped, round: 2, updates: updates.slice(2), aggregation: checkpointAggregation(shipped) });
    assert.equal(replayed.checkpoint.modelHash, round2.checkpoint.modelHash);
  });

  it('changes the hash when the rule or the update set changes', () => {
    const mean = applyRound({ parent: genesis(), round: 1, updates, aggregation: { rule: 'mean' } });
    const median = applyRound({ parent: genesis(), round: 1, updates, aggregation: { rule: 'median' } });
    const fewer = applyRound({ parent: genesis(), round: 1, updates: updates.slice(1), aggregation: { rule: 'mean' } });
    assert.notEqual(mean.checkpoint.modelHash, median.checkpoint.modelHash);
    assert.notEqual(mean.checkpoint.modelHash, fewer.checkpoint.modelHash);
    assert.notEqual(mean.updatesRoot, fewer.updatesRoot);
  });

  it('refuses a round that does not follow its parent, and names a bad setting', () => {
    assert.throws(() => applyRound({ parent: genesis(), round: 3, updates, aggregation: {} }), AuditInputError);
    assert.throws(
      () => applyRound({ parent: genesis(), round: 1, updates, aggregation: { outer: { lr: -1 } } }),
      (error: unknown) => error instanceof AuditConfigError && /outer\.lr/.test(error.message),
    );
  });
});

describe('updatesRoot', () => {
  const digests: Hex[] = [1, 2, 3].map((seed) => update(seed).digest);

  it('does not depend on order and commits an empty round to zero', () => {
    assert.equal(updatesRoot(digests), updatesRoot([...digests].reverse()));
    assert.equal(updatesRoot([]), EMPTY_UPDATES_ROOT);
  });

  it('refuses duplicates and malformed digests', () => {
    assert.throws(() => updatesRoot([digests[0], digests[0]]), AuditInputError);
    assert.throws(() => updatesRoot(['0x1234']), AuditInputError);
  });
});
