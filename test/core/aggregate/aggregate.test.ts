import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keccak256 } from 'viem';
import {
  AggregationConfigError,
  AggregationInputError,
  DEFAULT_RULE,
  aggregate,
  aggregationRuleNames,
  parseAggregationRule,
  type AggregationRuleInput,
} from '../../../core/aggregate/index.ts';
import { asUpdates, bytesOf, cosine, gaussianSource, norm, randomVector, shuffled } from './helpers.ts';

// Longer than one block (2048) and not a multiple of it, so block edges are exercised.
const LENGTH = 5003;

function referenceColumn(deltas: readonly Float32Array[], scales: readonly number[], k: number): number[] {
  return deltas.map((delta, i) => Math.fround(delta[k] * scales[i])).sort((a, b) => a - b);
}

function referenceTrimmedMean(deltas: readonly Float32Array[], trim: number): Float32Array {
  return Float32Array.from({ length: deltas[0].length }, (_, k) => {
    const kept = referenceColumn(deltas, deltas.map(() => 1), k).slice(trim, deltas.length - trim);
    return kept.reduce((sum, value) => sum + value, 0) / kept.length;
  });
}

const allRules: AggregationRuleInput[] = [
  ...aggregationRuleNames,
  { rule: 'trimmedMean', beta: 0.3 },
  { rule: 'multiKrum', f: 2, m: 4, clip: { mode: 'median', factor: 1 } },
  { rule: 'centeredClip', tau: 0.5, iterations: 2, clip: { mode: 'fixed', maxNorm: 30 } },
  { rule: 'mean', clip: { mode: 'median', factor: 0.8 } },
  { rule: 'median', clip: { mode: 'median', factor: 1 } },
  DEFAULT_RULE,
];

describe('aggregate: determinism', () => {
  const next = gaussianSource(1);
  const updates = asUpdates(
    Array.from({ length: 11 }, (_, i) => randomVector(LENGTH, next, 0.1 * (1 + (i % 4)))),
    (i) => 50 + 13 * i,
  );
  for (const rule of allRules) {
    it(`${JSON.stringify(rule)}: any arrival order gives the same bytes and the same hash`, () => {
      const reference = aggregate(rule, updates);
      const referenceHash = keccak256(bytesOf(reference.delta));
      for (const seed of [2, 3, 4]) {
        const result = aggregate(rule, shuffled(updates, seed));
        assert.ok(bytesOf(result.delta).equals(bytesOf(reference.delta)), `order ${seed} changed the bytes`);
        assert.equal(keccak256(bytesOf(result.delta)), referenceHash);
        assert.deepEqual(result.stats, reference.stats);
      }
    });
  }

  it('orders updates that share a digest by samples and content, so a replayed payload is harmless', () => {
    const base = asUpdates([randomVector(LENGTH, next), randomVector(LENGTH, next), randomVector(LENGTH, next)]);
    const twins = [...base, { ...base[0], delta: base[1].delta }, { ...base[0], samples: 7 }];
    const first = aggregate('mean', twins);
    const second = aggregate('mean', shuffled(twins, 9));
    assert.ok(bytesOf(first.delta).equals(bytesOf(second.delta)), 'order changed the bytes');
  });
});

describe('aggregate: rules against reference implementations', () => {
  for (const count of [1, 2, 3, 4, 9, 10, 16, 17, 20]) {
    const next = gaussianSource(100 + count);
    const deltas = Array.from({ length: count }, () => randomVector(LENGTH, next));
    const updates = asUpdates(deltas, (i) => 10 + i);

    it(`median of ${count} equals the sorted middle (exactly)`, () => {
      const trim = Math.floor((count - 1) / 2);
      assert.ok(bytesOf(aggregate('median', updates).delta).equals(bytesOf(referenceTrimmedMean(deltas, trim))), 'differs from the reference');
    });

    it(`trimmed mean (β 0.25) of ${count} equals the mean of the kept sorted values (exactly)`, () => {
      const trim = Math.floor(0.25 * count);
      const result = aggregate({ rule: 'trimmedMean', beta: 0.25 }, updates);
      assert.ok(bytesOf(result.delta).equals(bytesOf(referenceTrimmedMean(deltas, trim))), 'differs from the reference');
    });

    it(`sample-weighted mean of ${count}`, () => {
      const total = updates.reduce((sum, update) => sum + update.samples, 0);
      const result = aggregate('mean', updates);
      for (let k = 0; k < LENGTH; k += 97) {
        const expected = deltas.reduce((sum, delta, i) => sum + (delta[k] * updates[i].samples) / total, 0);
        assert.ok(Math.abs(result.delta[k] - expected) <= 1e-6 * (1 + Math.abs(expected)), `coordinate ${k}`);
      }
    });
  }

  it('the unweighted median ignores inflated sample counts; the mean follows them', () => {
    const updates = asUpdates([Float32Array.of(1), Float32Array.of(2), Float32Array.of(100)], (i) => (i === 2 ? 1e6 : 1));
    assert.equal(aggregate('median', updates).delta[0], 2);
    assert.ok(aggregate('mean', updates).delta[0] > 99);
  });

  it('the uniform mean gives every update one weight whatever samples it claims; the default weights by samples', () => {
    const updates = asUpdates([Float32Array.of(1, 10), Float32Array.of(2, 20), Float32Array.of(6, 60)], (i) => [100, 300, 600][i]);
    const uniform = aggregate({ rule: 'mean', weighting: 'uniform' }, updates);
    assert.deepEqual([...uniform.delta], [3, 30]);
    assert.deepEqual(uniform.stats.config, { rule: 'mean', weighting: 'uniform' });
    // (1·100 + 2·300 + 6·600) / 1000 = 4.3
    const bySamples = aggregate({ rule: 'mean', weighting: 'samples' }, updates);
    assert.ok(Math.abs(bySamples.delta[0] - 4.3) < 1e-6);
    assert.ok(bytesOf(aggregate('mean', updates).delta).equals(bytesOf(bySamples.delta)), 'leaving weighting out means samples');
    assert.throws(() => parseAggregationRule({ rule: 'mean', weighting: 'count' }), AggregationConfigError);
  });
});

describe('aggregate: norm clipping', () => {
  it('clips to the median norm and reports the scale of each update', () => {
    const updates = asUpdates([Float32Array.of(3, 4), Float32Array.of(0, 1), Float32Array.of(0, 2), Float32Array.of(60, 80)]);
    const { stats, delta } = aggregate({ rule: 'mean', clip: { mode: 'median', factor: 1 } }, updates);
    assert.equal(stats.clipNorm, 3.5);
    const byNorm = new Map(stats.updates.map((u) => [u.norm, u.clipScale]));
    assert.equal(byNorm.get(5), 0.7);
    assert.equal(byNorm.get(100), 0.035);
    assert.equal(byNorm.get(1), 1);
    // (0.7·(3,4) + (0,1) + (0,2) + 0.035·(60,80)) / 4
    assert.ok(Math.abs(delta[0] - (2.1 + 2.1) / 4) < 1e-6, `${delta[0]}`);
    assert.ok(Math.abs(delta[1] - (2.8 + 3 + 2.8) / 4) < 1e-6, `${delta[1]}`);
  });

  it('fixed clipping bounds every update before a median', () => {
    const updates = asUpdates([Float32Array.of(10), Float32Array.of(20), Float32Array.of(30)]);
    assert.equal(aggregate({ rule: 'median', clip: { mode: 'fixed', maxNorm: 15 } }, updates).delta[0], 15);
  });
});

describe('aggregate: Multi-Krum', () => {
  const next = gaussianSource(7);
  const center = randomVector(LENGTH, next);
  const honest = Array.from({ length: 7 }, () => center.map((c) => c + 0.3 * next()));
  const outliers = Array.from({ length: 3 }, () => randomVector(LENGTH, next, 3));

  it('selects the honest cluster and rejects far-away updates', () => {
    const updates = asUpdates([...honest, ...outliers]);
    const { stats } = aggregate({ rule: 'multiKrum', f: 3 }, updates);
    assert.deepEqual(stats.multiKrum, { f: 3, m: 7 });
    const outlierDigests = updates.slice(7).map((u) => u.digest).sort();
    assert.deepEqual([...stats.rejected].sort(), outlierDigests);
    assert.equal(stats.selected, 7);
    for (const u of stats.updates) assert.equal(typeof u.krumScore, 'number');
  });

  it('caps f to what the round allows instead of failing on a small round', () => {
    const { stats } = aggregate({ rule: 'multiKrum', f: 3 }, asUpdates(honest.slice(0, 4)));
    assert.deepEqual(stats.multiKrum, { f: 0, m: 4 });
    assert.equal(stats.selected, 4);
  });

  it('averages the m best when m is given', () => {
    const { stats } = aggregate({ rule: 'multiKrum', f: 3, m: 2 }, asUpdates([...honest, ...outliers]));
    assert.equal(stats.selected, 2);
  });
});

describe('aggregate: centered clipping', () => {
  it('stays near the honest mean with far-away outliers, and reports clipped weights', () => {
    const next = gaussianSource(8);
    const center = randomVector(LENGTH, next);
    const honest = Array.from({ length: 7 }, () => center.map((c) => c + 0.3 * next()));
    const outliers = Array.from({ length: 3 }, () => center.map((c) => -20 * c));
    const { delta, stats } = aggregate('centeredClip', asUpdates([...honest, ...outliers]));
    assert.ok(cosine(delta, center) > 0.95, `cosine ${cosine(delta, center)}`);
    assert.ok(stats.centeredClip && stats.centeredClip.tau > 0, 'no radius reported');
    const weights = stats.updates.map((u) => u.centeredClipWeight ?? 1);
    assert.equal(weights.filter((w) => w < 0.1).length, 3);
  });
});

describe('aggregate: cosine-weighted mean', () => {
  const rule = { rule: 'cosineWeighted', clip: { mode: 'median', factor: 1 } } as const;

  it('weighs each clipped update by its cosine to the coordinate median; against it, across it or zero weighs nothing', () => {
    const deltas = [Float32Array.of(1, 0), Float32Array.of(1, 1), Float32Array.of(0, 1), Float32Array.of(1, 1), Float32Array.of(-3, -3), Float32Array.of(0, 0)];
    const updates = asUpdates(deltas);
    const { delta, stats } = aggregate(rule, updates);
    const [a, b, c, d, flip, zero] = updates.map((u) => stats.updates.find((x) => x.digest === u.digest)!);
    // Clip norm: the median norm, (1 + √2) / 2; coordinate median of the clipped updates: along (1, 1).
    assert.ok(Math.abs(b.referenceCosine! - 1) < 1e-6 && Math.abs(d.referenceCosine! - 1) < 1e-6, `${b.referenceCosine}`);
    assert.ok(Math.abs(a.referenceCosine! - Math.SQRT1_2) < 1e-6 && Math.abs(c.referenceCosine! - Math.SQRT1_2) < 1e-6);
    assert.ok(flip.referenceCosine! < -0.99);
    assert.equal(zero.referenceCosine, 0);
    assert.deepEqual([...stats.rejected].sort(), [flip.digest, zero.digest].sort());
    const trusted = [a, b, c, d];
    const total = trusted.reduce((sum, u) => sum + u.referenceCosine!, 0);
    for (const k of [0, 1]) {
      const expected = trusted.reduce((sum, u, i) => sum + (u.referenceCosine! * u.clipScale * deltas[i][k]) / total, 0);
      assert.ok(Math.abs(delta[k] - expected) < 1e-6, `coordinate ${k}: ${delta[k]} vs ${expected}`);
    }
  });

  it('steps by the median when no update agrees with it, and minCosine sets aside the lukewarm', () => {
    const opposed = asUpdates([Float32Array.of(1, 0), Float32Array.of(-1, 0)]);
    const fallback = aggregate('cosineWeighted', opposed);
    assert.deepEqual([...fallback.delta], [0, 0]);
    assert.equal(fallback.stats.selected, 0);
    const updates = asUpdates([Float32Array.of(1, 0), Float32Array.of(1, 1), Float32Array.of(0, 1)]);
    assert.equal(aggregate({ rule: 'cosineWeighted', minCosine: 0.9 }, updates).stats.selected, 1);
    assert.throws(() => parseAggregationRule({ rule: 'cosineWeighted', minCosine: 1 }), AggregationConfigError);
  });

  it('relativeFloor sets aside updates that agree with the median far less than the round\'s typical update', () => {
    // Four alike updates and one that only half agrees with them (cosine about 0.45 against a median cosine near 1).
    const deltas = [Float32Array.of(1, 0.1), Float32Array.of(1, -0.1), Float32Array.of(1, 0.05), Float32Array.of(1, -0.05), Float32Array.of(0.5, 1)];
    const updates = asUpdates(deltas);
    const everyone = aggregate('cosineWeighted', updates);
    assert.equal(everyone.stats.selected, 5);
    const floored = aggregate({ rule: 'cosineWeighted', relativeFloor: 0.5 }, updates);
    assert.deepEqual(floored.stats.rejected, [updates[4].digest]);
    assert.ok(Math.abs(floored.delta[1]) < 0.01 && everyone.delta[1] > 0.05, `${[...floored.delta]} vs ${[...everyone.delta]}`);
    assert.throws(() => parseAggregationRule({ rule: 'cosineWeighted', relativeFloor: 1 }), AggregationConfigError);
  });
});

describe('aggregate: statistics', () => {
  it('reports norms and the cosine of each update to the aggregate', () => {
    const updates = asUpdates([Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(1, 1)]);
    for (const rule of aggregationRuleNames) {
      const { stats, delta } = aggregate(rule, updates);
      assert.equal(stats.count, 3);
      assert.equal(stats.length, 2);
      assert.ok(Math.abs(stats.aggregateNorm - norm(delta)) < 1e-9, rule);
      for (const u of stats.updates) {
        const original = updates.find((x) => x.digest === u.digest)!;
        assert.ok(Math.abs(u.norm - norm(original.delta)) < 1e-9, rule);
        assert.ok(Math.abs(u.cosine - cosine(original.delta, delta)) < 1e-6, `${rule}: ${u.cosine}`);
      }
      assert.deepEqual(
        stats.updates.map((u) => u.digest),
        updates.map((u) => u.digest).sort(),
      );
    }
  });

  it('gives a zero update a cosine of 0 rather than NaN', () => {
    const { stats } = aggregate('mean', asUpdates([new Float32Array(3), Float32Array.of(1, 2, 3)]));
    assert.ok(stats.updates.every((u) => Number.isFinite(u.cosine)), 'non-finite cosine');
  });
});

describe('aggregate: bad input', () => {
  const good = asUpdates([Float32Array.of(1, 2), Float32Array.of(3, 4)]);
  it('refuses no updates', () => assert.throws(() => aggregate('mean', []), AggregationInputError));
  it('refuses mismatched lengths, naming the update', () => {
    assert.throws(
      () => aggregate('mean', [...good, { ...good[0], digest: '0xabc', delta: Float32Array.of(1) }]),
      (error: unknown) => error instanceof AggregationInputError && /0xabc has 1 parameters, expected 2/.test(error.message),
    );
    assert.throws(() => aggregate('mean', good, { expectedLength: 3 }), AggregationInputError);
  });
  for (const rule of aggregationRuleNames) {
    it(`${rule}: refuses NaN and infinite values, naming the update`, () => {
      for (const bad of [NaN, Infinity]) {
        const updates = [...good, { digest: '0xdead' as const, delta: Float32Array.of(1, bad), samples: 1 }];
        assert.throws(
          () => aggregate(rule, updates),
          (error: unknown) => error instanceof AggregationInputError && error.value === '0xdead',
        );
      }
    });
  }
  it('refuses bad digests and sample counts', () => {
    assert.throws(() => aggregate('mean', [{ ...good[0], digest: 'abc' as `0x${string}` }]), AggregationInputError);
    assert.throws(() => aggregate('mean', [{ ...good[0], samples: 0 }]), AggregationInputError);
    assert.throws(() => aggregate('mean', [{ ...good[0], samples: 1.5 }]), AggregationInputError);
  });
  it('refuses invalid rules with a message that lists the valid ones', () => {
    for (const rule of ['avg', { rule: 'trimmedMean', beta: 0.5 }, { rule: 'multiKrum', f: -1 }, { rule: 'mean', extra: 1 }, { rule: 'mean', clip: { mode: 'fixed' } }]) {
      assert.throws(
        () => aggregate(rule as AggregationRuleInput, good),
        (error: unknown) => error instanceof AggregationConfigError && /use one of mean, median/.test(error.message) && error.value === rule,
      );
    }
  });
});

describe('parseAggregationRule', () => {
  it('fills defaults and accepts bare names', () => {
    assert.deepEqual(parseAggregationRule('trimmedMean'), { rule: 'trimmedMean', beta: 0.2 });
    assert.deepEqual(parseAggregationRule({ rule: 'centeredClip' }), { rule: 'centeredClip', iterations: 3 });
    assert.deepEqual(parseAggregationRule({ rule: 'mean', clip: { mode: 'median' } }), { rule: 'mean', clip: { mode: 'median', factor: 1 } });
    assert.deepEqual(parseAggregationRule(DEFAULT_RULE), DEFAULT_RULE);
  });
});
