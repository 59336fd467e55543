import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregationConfigError, AggregationInputError, OUTER_DEFAULTS, outerStep } from '../../../core/aggregate/index.ts';

describe('outerStep', () => {
  it('has the DiLoCo defaults', () => {
    assert.deepEqual(OUTER_DEFAULTS, { lr: 0.7, momentumFactor: 0.9, nesterov: true });
  });

  it('applies Nesterov SGD to the outer gradient −delta over two rounds', () => {
    const params = Float32Array.of(1, -2);
    const first = outerStep({ params, delta: Float32Array.of(0.5, 0.25) });
    // g = (−0.5, −0.25); m = g; step = g + 0.9·m = 1.9·g; θ = θ − 0.7·step
    assert.deepEqual(Array.from(first.momentum), [-0.5, -0.25]);
    assert.deepEqual(Array.from(first.params), [Math.fround(1 + 0.7 * 1.9 * 0.5), Math.fround(-2 + 0.7 * 1.9 * 0.25)]);
    const second = outerStep({ params: first.params, momentum: first.momentum, delta: Float32Array.of(0.1, 0) });
    const m0 = Math.fround(0.9 * -0.5 - 0.1);
    const m1 = Math.fround(0.9 * -0.25);
    assert.deepEqual(Array.from(second.momentum), [m0, m1]);
    assert.deepEqual(Array.from(second.params), [Math.fround(first.params[0] - 0.7 * (-0.1 + 0.9 * m0)), Math.fround(first.params[1] - 0.7 * (0.9 * m1))]);
  });

  it('with plain momentum and lr 1, momentum 0, it adds the delta', () => {
    const result = outerStep({ params: Float32Array.of(1, 2), delta: Float32Array.of(0.5, -1), lr: 1, momentumFactor: 0, nesterov: false });
    assert.deepEqual(Array.from(result.params), [1.5, 1]);
  });

  it('decays the weights by lr × weightDecay outside the momentum, and is the plain step without it', () => {
    const params = Float32Array.of(2, -0);
    const delta = Float32Array.of(0.5, 0);
    const decayed = outerStep({ params, delta, lr: 0.5, momentumFactor: 0.9, weightDecay: 0.1 });
    const plain = outerStep({ params, delta, lr: 0.5, momentumFactor: 0.9 });
    // The momentum holds the outer gradient only: decay never accumulates in it.
    assert.deepEqual(Array.from(decayed.momentum), Array.from(plain.momentum));
    assert.equal(decayed.params[0], Math.fround(2 - 0.5 * (1.9 * -0.5 + 0.1 * 2)));
    assert.equal(plain.params[0], Math.fround(2 - 0.5 * 1.9 * -0.5));
    // weightDecay 0 is bit for bit the step without decay: a −0 weight stays −0.
    assert.ok(Object.is(outerStep({ params, delta, weightDecay: 0 }).params[1], -0));
  });

  it('refuses a decay that would flip the weights', () => {
    assert.throws(
      () => outerStep({ params: Float32Array.of(1), delta: Float32Array.of(1), lr: 1, weightDecay: 1 }),
      (error: unknown) => error instanceof AggregationConfigError && /weight decay 1/.test(error.message),
    );
    assert.throws(() => outerStep({ params: Float32Array.of(1), delta: Float32Array.of(1), weightDecay: -0.1 }), AggregationConfigError);
  });

  it('does not modify its inputs', () => {
    const params = Float32Array.of(1);
    const momentum = Float32Array.of(2);
    outerStep({ params, momentum, delta: Float32Array.of(3) });
    assert.deepEqual([params[0], momentum[0]], [1, 2]);
  });

  it('refuses mismatched lengths and bad hyperparameters', () => {
    assert.throws(() => outerStep({ params: Float32Array.of(1), delta: Float32Array.of(1, 2) }), AggregationInputError);
    assert.throws(() => outerStep({ params: Float32Array.of(1), momentum: Float32Array.of(1, 2), delta: Float32Array.of(1) }), AggregationInputError);
    assert.throws(() => outerStep({ params: Float32Array.of(1), delta: Float32Array.of(1), lr: 0 }), AggregationConfigError);
    assert.throws(() => outerStep({ params: Float32Array.of(1), delta: Float32Array.of(1), momentumFactor: 1 }), AggregationConfigError);
  });
});
