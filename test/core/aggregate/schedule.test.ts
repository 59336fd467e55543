import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregationConfigError, CONSTANT_SCHEDULE, learningRateScheduleSchema, scheduledRate } from '../../../core/aggregate/index.ts';

const rates = (peak: number, schedule: unknown, rounds: number[]): number[] =>
  rounds.map((round) => scheduledRate(peak, learningRateScheduleSchema.parse(schedule), round));

describe('scheduledRate', () => {
  it('keeps the peak for ever under the constant schedule (what a checkpoint without a schedule means)', () => {
    assert.deepEqual(rates(0.7, CONSTANT_SCHEDULE, [1, 2, 1000, 1_000_000]), [0.7, 0.7, 0.7, 0.7]);
  });

  it('warms up linearly to the peak, reaching it in the last warm-up round', () => {
    assert.deepEqual(rates(0.8, { kind: 'constant', warmupRounds: 4 }, [1, 2, 3, 4, 5]), [0.2, 0.4, 0.6, 0.8, 0.8]);
  });

  it('decays along half a cosine to the floor after the warm-up, and stays at the floor', () => {
    const schedule = { kind: 'cosine', warmupRounds: 2, decayRounds: 10, floor: 0.1 };
    const [warm1, warm2, first, middle, end, after, long] = rates(1, schedule, [1, 2, 3, 7, 12, 13, 10_000]);
    assert.deepEqual([warm1, warm2], [0.5, 1]);
    // One round into the decay: 0.1 + 0.9·(1 + cos(π/10))/2.
    assert.equal(first, Number((0.1 + (0.9 * (1 + Math.cos(Math.PI / 10))) / 2).toPrecision(12)));
    assert.equal(middle, 0.55); // halfway: the mean of peak and floor
    assert.deepEqual([end, after, long], [0.1, 0.1, 0.1]);
    const decaying = rates(1, schedule, [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.ok(decaying.every((rate, index) => index === 0 || rate < decaying[index - 1]), `not decreasing: ${decaying}`);
  });

  it('steps down by the factor every few rounds, never below the floor', () => {
    const schedule = { kind: 'step', warmupRounds: 0, everyRounds: 10, factor: 0.5, floor: 0.2 };
    assert.deepEqual(rates(0.4, schedule, [1, 9, 10, 19, 20, 30, 1000]), [0.4, 0.4, 0.2, 0.2, 0.1, 0.08, 0.08]);
  });

  it('defaults the floor to a tenth of the peak and the warm-up to none', () => {
    assert.deepEqual(learningRateScheduleSchema.parse({ kind: 'cosine', decayRounds: 50 }), { kind: 'cosine', warmupRounds: 0, decayRounds: 50, floor: 0.1 });
  });

  it('refuses rounds before the first, a bad peak and schedules that make no sense', () => {
    assert.throws(() => scheduledRate(0.7, CONSTANT_SCHEDULE, 0), (error: unknown) => error instanceof AggregationConfigError && /from 1/.test(error.message));
    assert.throws(() => scheduledRate(0.7, CONSTANT_SCHEDULE, 1.5), AggregationConfigError);
    assert.throws(() => scheduledRate(-1, CONSTANT_SCHEDULE, 1), AggregationConfigError);
    for (const bad of [
      { kind: 'cosine', decayRounds: 0 },
      { kind: 'cosine', decayRounds: 10, floor: 1.5 },
      { kind: 'step', everyRounds: 10, factor: 1 },
      { kind: 'constant', warmupRounds: -1 },
      { kind: 'linear' },
      { kind: 'cosine', decayRounds: 10, peak: 3 },
    ]) {
      assert.equal(learningRateScheduleSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});
