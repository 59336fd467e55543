import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend, initialParams, loadMnist, sliceExamples, type Dataset } from '../../core/ml/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';
import { PinnedModelUpdateCache, runSimulation, type SimulationConfig } from '../../bench/sim/index.ts';

// A model small enough that a few rounds of 4 peers take about a second.
const spec = { name: 'mlp', hidden: 8 } as const;
let base: SimulationConfig;

before(async () => {
  await initBackend('wasm');
  const mnist = await loadMnist();
  const { layout, params } = initialParams(spec, 3);
  const shards: Dataset[] = [0, 1, 2, 3].map((peer) => sliceExamples(mnist.train, peer * 300, (peer + 1) * 300));
  base = {
    spec,
    layout,
    initial: params,
    shards,
    scoring: sliceExamples(mnist.validation, 0, 200),
    test: sliceExamples(mnist.test, 0, 300),
    rounds: 2,
    inner: { innerSteps: 4, batchSize: 16, learningRate: 0.01 },
    aggregation: { rule: 'mean' },
    codec: 'fp32',
    maxNorm: 1000,
    rewards: { budget: 1000n * 10n ** 18n, cap: 1 },
    seed: 5,
  };
});

describe('simulation harness', () => {
  it('sends fp32 payloads of 4 bytes per parameter plus the 5-byte header', async () => {
    const result = await runSimulation(base);
    assert.equal(result.bytesPerUpdate, 5 + 4 * base.initial.length);
    assert.equal(result.curve.length, 2);
    assert.equal(result.attackerRewardShare, 0);
    assert.deepEqual(result.refused, {});
  });

  it('runs attackers\' updates through the validator: an oversized signflip is refused for its norm', async () => {
    const result = await runSimulation({ ...base, attack: { name: 'signflip', attackers: 1, options: { signflipScale: 1e6 } } });
    assert.deepEqual(result.refused, { norm_exceeded: 2 });
    assert.equal(result.attackerRewardShare, 0);
  });

  it('fails loudly when the validator refuses every update', async () => {
    await assert.rejects(runSimulation({ ...base, maxNorm: 1e-9 }), /refused every update/);
  });

  it('shares only first-round training between runs from the same genesis, with identical results', async () => {
    const cache = new PinnedModelUpdateCache(genesisCheckpoint({ layout: base.layout, params: base.initial, spec: base.spec }).modelHash);
    const first = await runSimulation({ ...base, cache });
    assert.equal(cache.hits, 0);
    const second = await runSimulation({ ...base, cache });
    assert.equal(cache.hits, base.shards.length);
    assert.deepEqual(second.curve, first.curve);
  });

  it('a label flipper trains on its flipped shard, never on a cached honest update of its peer', async () => {
    const cache = new PinnedModelUpdateCache(genesisCheckpoint({ layout: base.layout, params: base.initial, spec: base.spec }).modelHash);
    const clean = await runSimulation({ ...base, rounds: 1, cache });
    const flipped = await runSimulation({ ...base, rounds: 1, cache, attack: { name: 'labelflip', attackers: 1, options: { signflipScale: 1 } } });
    assert.equal(cache.hits, base.shards.length - 1, 'only the three honest peers reuse their first-round training');
    assert.notDeepEqual(flipped.curve, clean.curve);
  });

  it('a signflip under the plain mean hurts accuracy', async () => {
    const clean = await runSimulation({ ...base, rounds: 3 });
    const attacked = await runSimulation({ ...base, rounds: 3, attack: { name: 'signflip', attackers: 1, options: { signflipScale: 6 } } });
    assert.ok(attacked.accuracy < clean.accuracy - 0.05, `clean ${clean.accuracy}, attacked ${attacked.accuracy}`);
  });
});
