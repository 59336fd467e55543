import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataParallelTrainer, evaluate, initBackend, initialParams, loadMnist, shardFor, trainLocal, type Dataset, type MnistSplits } from '../../../core/ml/index.ts';

let mnist: MnistSplits;
let shard: Dataset;
let trainer: DataParallelTrainer;

describe('DataParallelTrainer', () => {
  before(async () => {
    await initBackend('wasm');
    mnist = await loadMnist();
    shard = shardFor({ data: mnist.train, seed: 2, peers: 10, index: 1, scheme: 'iid' });
    trainer = await DataParallelTrainer.create({ workers: 2, backend: 'wasm' });
  });
  after(async () => trainer.close());

  it('trains the same model as single-threaded trainLocal (same batches, averaged gradients)', async () => {
    for (const name of ['mlp', 'cnn'] as const) {
      const { params } = initialParams(name, 4);
      const config = { innerSteps: 12, batchSize: 33, learningRate: 2e-3, seed: 'parallel' };
      const parallel = await trainer.trainLocal({ spec: name, params, data: shard, config });
      const single = await trainLocal({ spec: name, params, data: shard, config });
      assert.equal(trainer.backend, 'wasm');
      assert.equal(parallel.samples, single.samples);
      assert.ok(Math.abs(parallel.trainLoss - single.trainLoss) < 1e-4, `${parallel.trainLoss} vs ${single.trainLoss}`);
      let worst = 0;
      for (let i = 0; i < params.length; i++) worst = Math.max(worst, Math.abs(parallel.delta[i] - single.delta[i]));
      assert.ok(worst < 1e-4, `${name}: largest difference ${worst}`);
      const trained = await evaluate({ spec: name, params: params.map((value, i) => value + parallel.delta[i]), data: mnist.validation, limit: 1000 });
      assert.ok(trained.accuracy > 0.3, `${name} accuracy ${trained.accuracy}`);
    }
  });

  it('stops all workers at the same step when aborted, and keeps working afterwards', async () => {
    const { params } = initialParams('mlp', 5);
    const config = { innerSteps: 1_000_000, batchSize: 64, learningRate: 1e-3, seed: 1 };
    await assert.rejects(trainer.trainLocal({ spec: 'mlp', params, data: shard, config, signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
    const after = await trainer.trainLocal({ spec: 'mlp', params, data: shard, config: { ...config, innerSteps: 3 } });
    assert.equal(after.samples, 192);
  });

  it('refuses bad input before starting the workers', async () => {
    const { params } = initialParams('mlp', 6);
    await assert.rejects(trainer.trainLocal({ spec: 'mlp', params: params.subarray(3), data: shard, config: { innerSteps: 1, batchSize: 8, learningRate: 1e-3, seed: 1 } }), /needs 101770/);
    await assert.rejects(trainer.trainLocal({ spec: 'mlp', params, data: shard, config: { innerSteps: 1, batchSize: 1, learningRate: 1e-3, seed: 1 } }), /smaller than the 2 workers/);
  });
});
