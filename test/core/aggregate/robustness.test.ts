import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RULE, aggregate, clipByNorm } from '../../../core/aggregate/index.ts';
import { asUpdates, cosine, gaussianSource, norm, randomVector } from './helpers.ts';

/**
 * The attacks of the Byzantine benchmark on synthetic non-IID updates: 7 honest updates share a
 * direction but each carries its own component as large as the shared one (pairwise cosine about
 * 0.5), and 3 attackers. The default rule must keep the aggregate pointing along the honest mean
 * and not shrink it much; the benchmark measures the same on MNIST.
 */
const LENGTH = 20_000;
const next = gaussianSource(42);
const shared = randomVector(LENGTH, next);
const honest = Array.from({ length: 7 }, () => shared.map((value) => value + next()));
const honestMean = Float32Array.from({ length: LENGTH }, (_, k) => honest.reduce((sum, h) => sum + h[k], 0) / honest.length);
const honestStd = Float32Array.from({ length: LENGTH }, (_, k) =>
  Math.sqrt(honest.reduce((sum, h) => sum + (h[k] - honestMean[k]) ** 2, 0) / honest.length),
);
const honestNorm = norm(honest[0]);

const attacks: Record<string, () => Float32Array[]> = {
  signflip: () => honest.slice(0, 3).map((h) => h.map((value) => -10 * value)),
  gaussian: () => [0, 1, 2].map(() => randomVector(LENGTH, next, honestNorm / Math.sqrt(LENGTH))),
  zero: () => [0, 1, 2].map(() => new Float32Array(LENGTH)),
  copy: () => [0, 1, 2].map(() => honest[0].slice()),
  alie: () => [0, 1, 2].map(() => honestMean.map((value, k) => value - 1 * honestStd[k])),
  ipm: () => [0, 1, 2].map(() => honestMean.map((value) => -0.1 * value)),
};

/** Projection of the aggregate on the honest mean, relative to the honest mean (1 = as good). */
function progress(aggregateDelta: Float32Array): number {
  let s = 0;
  for (let k = 0; k < LENGTH; k++) s += aggregateDelta[k] * honestMean[k];
  return s / norm(honestMean) ** 2;
}

describe('DEFAULT_RULE against the benchmark attacks (3 of 10 malicious, non-IID)', () => {
  for (const [name, attack] of Object.entries(attacks)) {
    it(`${name}: the aggregate follows the honest mean`, () => {
      const { delta } = aggregate(DEFAULT_RULE, asUpdates([...honest, ...attack()]));
      assert.ok(cosine(delta, honestMean) > 0.85, `cosine ${cosine(delta, honestMean)}`);
      assert.ok(progress(delta) > 0.5 && progress(delta) < 1.5, `progress ${progress(delta)}`);
    });
  }

  it('the plain mean does not hold against a sign flip (the attack bites)', () => {
    const { delta } = aggregate('mean', asUpdates([...honest, ...attacks.signflip()]));
    assert.ok(progress(delta) < 0, `progress ${progress(delta)}`);
  });
});

describe('clipByNorm', () => {
  it('scales longer vectors to the bound and returns shorter ones untouched', () => {
    const long = Float32Array.of(3, 4);
    assert.deepEqual(Array.from(clipByNorm(long, 1)), [Math.fround(0.6), Math.fround(0.8)]);
    assert.equal(clipByNorm(long, 5), long);
    assert.throws(() => clipByNorm(long, 0), /positive finite/);
  });
});
