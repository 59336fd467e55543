import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoordinatorConfigError, parseCoordinatorConfig } from '../../coordinator/index.ts';
import { SCHEDULE_DEFAULTS } from '../../core/audit/index.ts';

const key = `0x${'ab'.repeat(32)}`;

describe('coordinator config: learning-rate schedules and weight decay', () => {
  it('runs the measured schedules and decay unless told otherwise', () => {
    const { aggregation } = parseCoordinatorConfig({ privateKey: key });
    assert.deepEqual(aggregation.outer, { lr: 0.7, momentumFactor: 0.9, nesterov: true, ...SCHEDULE_DEFAULTS.outer });
    assert.deepEqual(aggregation.inner, { ...SCHEDULE_DEFAULTS.inner });
  });

  it('takes a step schedule, a warm-up and other decays, filling the rest', () => {
    const { aggregation } = parseCoordinatorConfig({
      privateKey: key,
      aggregation: { outer: { lr: 0.5, schedule: { kind: 'step', warmupRounds: 3, everyRounds: 50, factor: 0.5 }, weightDecay: 0 }, inner: { learningRate: 0.001 } },
    });
    assert.deepEqual(aggregation.outer.schedule, { kind: 'step', warmupRounds: 3, everyRounds: 50, factor: 0.5, floor: 0.1 });
    assert.equal(aggregation.outer.weightDecay, 0);
    assert.deepEqual(aggregation.inner, { learningRate: 0.001, schedule: SCHEDULE_DEFAULTS.inner.schedule, weightDecay: SCHEDULE_DEFAULTS.inner.weightDecay });
  });

  it('names a bad schedule or decay setting, its value and where to fix it', () => {
    for (const [aggregation, message] of [
      [{ outer: { schedule: { kind: 'cosine', decayRounds: -5 } } }, /"aggregation\.outer\.schedule\.decayRounds" = -5/],
      [{ outer: { schedule: { kind: 'cosine', decayRounds: 10, floor: 2 } } }, /"aggregation\.outer\.schedule\.floor" = 2/],
      [{ outer: { schedule: { kind: 'exponential' } } }, /"aggregation\.outer\.schedule\.kind" = "exponential"/],
      [{ outer: { lr: 2, weightDecay: 0.9 } }, /"aggregation\.outer\.weightDecay" = 0\.9.*lower weightDecay/],
      [{ inner: { weightDecay: -1 } }, /"aggregation\.inner\.weightDecay" = -1/],
      [{ inner: { lr: 0.01 } }, /Unrecognized key.*lr/],
    ] as const) {
      assert.throws(
        () => parseCoordinatorConfig({ privateKey: key, aggregation }),
        (error: unknown) => error instanceof CoordinatorConfigError && message.test(error.message) && /fix it in the coordinator config/.test(error.message),
        JSON.stringify(aggregation),
      );
    }
  });
});
