import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keccak256, toHex, type Hex } from 'viem';
import {
  applyRound,
  AuditConfigError,
  checkpointAggregation,
  checkpointTraining,
  checkpointUpdates,
  AuditInputError,
  EMPTY_UPDATES_ROOT,
  parseRoundAggregation,
  SCHEDULE_DEFAULTS,
  updatesRoot,
  type RoundAggregation,
} from '../../../core/audit/index.ts';
import { scheduledRate } from '../../../core/aggregate/index.ts';
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

describe('applyRound with schedules and weight decay', () => {
  const updates = [1, 2, 3, 4, 5].map(update);
  const scheduled: RoundAggregation = parseRoundAggregation({
    rule: { rule: 'mean' },
    outer: { schedule: { kind: 'cosine', warmupRounds: 1, decayRounds: 4, floor: 0.2 }, weightDecay: 0.05 },
    inner: { learningRate: 0.004, schedule: { kind: 'step', everyRounds: 2, factor: 0.5, floor: 0.25 }, weightDecay: 0.01 },
  });

  /** Rounds 1..n from genesis, each checkpoint shipped (encoded, decoded) as a peer receives it. */
  function chain(aggregation: RoundAggregation, rounds: number): Checkpoint[] {
    const checkpoints = [genesis()];
    for (let round = 1; round <= rounds; round++) {
      const produced = applyRound({ parent: checkpoints[round - 1], round, updates: updates.slice(round % 2), aggregation }).checkpoint;
      checkpoints.push(decodeCheckpoint(encodeCheckpoint(produced), produced.modelHash));
    }
    return checkpoints;
  }

  it('fills the coordinator defaults in, and leaves out what a caller leaves out (off)', () => {
    const defaults = parseRoundAggregation({});
    assert.deepEqual(defaults.outer.schedule, SCHEDULE_DEFAULTS.outer.schedule);
    assert.equal(defaults.outer.weightDecay, SCHEDULE_DEFAULTS.outer.weightDecay);
    assert.deepEqual(defaults.inner, { ...SCHEDULE_DEFAULTS.inner });
    const bare = applyRound({ parent: genesis(), round: 1, updates, aggregation: { rule: { rule: 'median' } } }).checkpoint;
    assert.deepEqual(bare.meta.aggregation, { rule: { rule: 'median' }, outer: { lr: 0.7, momentumFactor: 0.9, nesterov: true } });
    assert.equal(bare.meta.training, undefined);
  });

  it('replays checkpoints recorded before schedules existed to the hashes they were committed with', () => {
    // Pinned from the round transition before schedules, weight decay and inner settings existed.
    const all = [1, 2, 3, 4, 5, 6, 7].map(update);
    // Round 1 as recorded under the default rule of the time.
    const recordedDefault = { rule: { rule: 'multiKrum', clip: { mode: 'median', factor: 1 } }, outer: { lr: 0.7, momentumFactor: 0.9, nesterov: true } };
    const round1 = applyRound({ parent: genesis(), round: 1, updates: all, aggregation: recordedDefault as RoundAggregation }).checkpoint;
    assert.equal(round1.modelHash, '0xab8b6207e801688055b273dea630ac5371fe548ed9270b84c7bebdc19ccf459a');
    const recorded = { rule: { rule: 'median' }, outer: { lr: 0.7, momentumFactor: 0.9, nesterov: true } };
    const round2 = applyRound({ parent: round1, round: 2, updates: all.slice(2), aggregation: recorded as RoundAggregation }).checkpoint;
    assert.equal(round2.modelHash, '0xc335ed4d711bc47e5fd2f00913c05d0926a68da0c2d26defd0a2a21f87b142af');
    assert.deepEqual(checkpointAggregation(round2), recorded);
  });

  it('steps each round at its scheduled outer rate with decoupled decay, recorded so that an auditor replays it to the same hash', () => {
    const checkpoints = chain(scheduled, 6);
    for (let round = 1; round <= 6; round++) {
      const produced = checkpoints[round];
      const replayed = applyRound({ parent: checkpoints[round - 1], round, updates: updates.slice(round % 2), aggregation: checkpointAggregation(produced) });
      assert.equal(replayed.checkpoint.modelHash, produced.modelHash, `round ${round}`);
    }
    // The rate really varies: round 1 (the one warm-up round) at the peak, the floor from round 5 on.
    assert.deepEqual([1, 2, 3, 5, 6].map((round) => scheduledRate(0.7, scheduled.outer.schedule!, round)), [0.7, 0.617989898732, 0.42, 0.14, 0.14]);
    const constant = chain(parseRoundAggregation({ ...scheduled, outer: { ...scheduled.outer, schedule: { kind: 'constant' } } }), 2);
    assert.deepEqual(Buffer.from(constant[1].params.buffer), Buffer.from(checkpoints[1].params.buffer)); // both at the peak in round 1
    assert.notDeepEqual(Buffer.from(constant[2].params.buffer), Buffer.from(checkpoints[2].params.buffer));
  });

  it('asks the next round for its inner learning rate and weight decay, which a peer reads back from the checkpoint', () => {
    const checkpoints = chain(scheduled, 3);
    assert.deepEqual(checkpoints.slice(1).map(checkpointTraining), [
      { round: 2, learningRate: 0.002, weightDecay: 0.01 },
      { round: 3, learningRate: 0.002, weightDecay: 0.01 },
      { round: 4, learningRate: 0.001, weightDecay: 0.01 },
    ]);
    assert.equal(checkpointTraining(genesis()), undefined);
    // Advice for another round, or out of bounds, is no advice: the daemon keeps its own settings.
    const stale = createCheckpoint({ layout, params: vector(1), meta: { round: 3, model: { name: 'mlp', hidden: 128 } as never, training: { round: 2, learningRate: 0.004, weightDecay: 0 } } });
    const wild = createCheckpoint({ layout, params: vector(1), meta: { round: 3, model: { name: 'mlp', hidden: 128 } as never, training: { round: 4, learningRate: 50, weightDecay: 0 } } });
    assert.equal(checkpointTraining(stale), undefined);
    assert.equal(checkpointTraining(wild), undefined);
  });

  it('a checkpoint that claims another schedule than its weights were stepped with does not replay to its hash', () => {
    const checkpoints = chain(scheduled, 3);
    const honest = checkpoints[3];
    const claims = [
      { ...scheduled.outer, schedule: { kind: 'constant', warmupRounds: 0 } },
      { ...scheduled.outer, schedule: { kind: 'cosine', warmupRounds: 1, decayRounds: 40, floor: 0.2 } },
      { ...scheduled.outer, weightDecay: 0 },
    ];
    for (const outer of claims) {
      const forged = createCheckpoint({ layout, params: honest.params, momentum: honest.momentum, meta: { ...honest.meta, aggregation: { ...scheduled, outer } } });
      const replayed = applyRound({ parent: checkpoints[2], round: 3, updates: updates.slice(1), aggregation: checkpointAggregation(forged) });
      assert.notEqual(replayed.checkpoint.modelHash, forged.modelHash, JSON.stringify(outer));
    }
    // And a coordinator that steps at a constant rate but records the schedule is caught the same way.
    const unscheduled = applyRound({ parent: checkpoints[2], round: 3, updates: updates.slice(1), aggregation: { ...scheduled, outer: { ...scheduled.outer, schedule: undefined } } }).checkpoint;
    const mislabelled = createCheckpoint({ layout, params: unscheduled.params, momentum: unscheduled.momentum, meta: { ...unscheduled.meta, aggregation: scheduled } });
    assert.notEqual(applyRound({ parent: checkpoints[2], round: 3, updates: updates.slice(1), aggregation: checkpointAggregation(mislabelled) }).checkpoint.modelHash, mislabelled.modelHash);
  });

  it('names the bad setting of a schedule or a decay', () => {
    for (const [input, path] of [
      [{ outer: { schedule: { kind: 'cosine', decayRounds: 0 } } }, /outer\.schedule\.decayRounds/],
      [{ outer: { schedule: { kind: 'sawtooth' } } }, /outer\.schedule\.kind/],
      [{ outer: { weightDecay: -1 } }, /outer\.weightDecay/],
      [{ outer: { lr: 2, weightDecay: 0.6 } }, /outer\.weightDecay.*lr × weightDecay/],
      [{ inner: { learningRate: 5 } }, /inner\.learningRate/],
      [{ inner: { schedule: { kind: 'step', everyRounds: 3, factor: 2 } } }, /inner\.schedule\.factor/],
    ] as const) {
      assert.throws(() => parseRoundAggregation(input), (error: unknown) => error instanceof AuditConfigError && path.test(error.message), JSON.stringify(input));
    }
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
