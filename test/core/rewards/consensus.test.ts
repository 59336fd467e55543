import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONSENSUS_MIN_UPDATES, cosinesToOthers, flagConsensusUpdates } from '../../../core/rewards/index.ts';
import { gaussianSource, randomVector } from '../aggregate/helpers.ts';

describe('consensus detection', () => {
  const next = gaussianSource(3);
  const shared = randomVector(4000, next);
  const independent = (noise: number, count: number): Float32Array[] =>
    Array.from({ length: count }, () => shared.map((value) => value + noise * next()));

  it('computes each update\'s cosine to the mean of the others', () => {
    const cosines = cosinesToOthers([Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(1, 1), new Float32Array(2)]);
    // Others of (1,0): (0,1)+(1,1)+0 = (1,2) → cos = 1/√5.
    assert.ok(Math.abs(cosines[0] - 1 / Math.sqrt(5)) < 1e-12, `${cosines[0]}`);
    assert.equal(cosines[3], 0);
  });

  for (const noise of [0.3, 1, 3]) {
    it(`flags an ALIE-style update among independent ones and no honest one (noise ${noise})`, () => {
      const honest = independent(noise, 7);
      const mean = shared.map((_, k) => honest.reduce((sum, h) => sum + h[k], 0) / honest.length);
      const std = shared.map((_, k) => Math.sqrt(honest.reduce((sum, h) => sum + (h[k] - mean[k]) ** 2, 0) / honest.length));
      const alie = mean.map((value, k) => value - 0.52 * std[k]);
      const { flagged } = flagConsensusUpdates([...honest, alie]);
      assert.deepEqual(flagged, [false, false, false, false, false, false, false, true]);
      assert.deepEqual(flagConsensusUpdates(honest).flagged, honest.map(() => false));
    });
  }

  it('does not flag zero, random or sign-flipped updates (they score nothing anyway)', () => {
    const honest = independent(1, 6);
    const odd = [new Float32Array(4000), randomVector(4000, next), honest[0].map((value) => -value)];
    assert.deepEqual(flagConsensusUpdates([...honest, ...odd]).flagged, new Array(9).fill(false));
  });

  it('flags nothing with too few updates to compare', () => {
    const few = independent(1, CONSENSUS_MIN_UPDATES - 1);
    assert.deepEqual(flagConsensusUpdates([...few.slice(0, -1), shared]).flagged, [false, false, false]);
  });
});
