import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  createModel,
  evaluate,
  initBackend,
  initialParams,
  layoutFor,
  loadMnist,
  ModelSpecError,
  resolveModelSpec,
  shardFor,
  trainingEngine,
  trainLocal,
  TrainingConfigError,
  type Dataset,
  type MnistSplits,
} from '../../../core/ml/index.ts';
import { InvalidParametersError, layoutSize, weightsHash } from '../../../core/tensor/index.ts';

let mnist: MnistSplits;
let shard: Dataset;
const config = { innerSteps: 30, batchSize: 32, learningRate: 3e-3, seed: 'test' };

describe('models and local training', () => {
  before(async () => {
    await initBackend('wasm');
    mnist = await loadMnist();
    shard = shardFor({ data: mnist.train, seed: 1, peers: 20, index: 4, scheme: 'iid' });
  });

  it('resolves specs with defaults and lists the known models for an unknown name', () => {
    assert.deepEqual(resolveModelSpec('mlp'), { name: 'mlp', hidden: 128 });
    assert.deepEqual(resolveModelSpec({ name: 'cnn', filters: [4, 8] }), { name: 'cnn', filters: [4, 8], kernelSize: 5 });
    assert.throws(() => resolveModelSpec({ name: 'resnet' } as never), (error: unknown) => {
      assert.ok(error instanceof ModelSpecError);
      assert.match(error.message, /unknown model "resnet"; known models: mlp, cnn/);
      return true;
    });
    assert.throws(() => resolveModelSpec({ name: 'mlp', hidden: 0 }), /hidden units/);
    assert.throws(() => resolveModelSpec({ name: 'cnn', kernelSize: 12 }), /leaves no pixels/);
  });

  it('has the specified architectures', () => {
    assert.equal(layoutSize(layoutFor(resolveModelSpec('mlp'))), 784 * 128 + 128 + 128 * 10 + 10);
    assert.deepEqual(layoutFor(resolveModelSpec('cnn')).map((entry) => entry.shape), [[5, 5, 1, 8], [8], [5, 5, 8, 16], [16], [256, 10], [10]]);
  });

  it('initialises identically from a seed on every machine (pinned hashes)', () => {
    const mlp = initialParams('mlp', 42);
    assert.equal(weightsHash(mlp.layout, mlp.params), '0x40e1e427df158ad4a9bc9710d5bd27a6eb212250a90ea2336c30f5e0630d3580');
    const cnn = initialParams({ name: 'cnn' }, 42);
    assert.equal(weightsHash(cnn.layout, cnn.params), '0x9dbb206462817664c75214d23cb5e032948116048d9f7640df03cc55fab843b7');
    assert.notEqual(weightsHash(mlp.layout, initialParams('mlp', 43).params), weightsHash(mlp.layout, mlp.params));
    assert.ok(mlp.params.subarray(784 * 128, 784 * 128 + 128).every((bias) => bias === 0));
    const limit = Math.sqrt(6 / (784 + 128));
    assert.ok(mlp.params.subarray(0, 784 * 128).every((weight) => Math.abs(weight) <= limit));
  });

  for (const name of ['mlp', 'cnn'] as const) {
    it(`${name}: trainLocal returns local − global that lowers the held-out loss`, async () => {
      const { params } = initialParams(name, 1);
      const original = params.slice();
      const before = await evaluate({ spec: name, params, data: mnist.validation, limit: 1000 });
      const result = await trainLocal({ spec: name, params, data: shard, config });
      assert.deepEqual(params, original, 'the global parameters are not modified');
      assert.equal(result.samples, config.innerSteps * config.batchSize);
      assert.equal(result.delta.length, params.length);
      assert.ok(result.trainLoss > 0 && result.trainLoss < 2.4);
      const trained = params.map((value, i) => value + result.delta[i]);
      const after = await evaluate({ spec: name, params: trained, data: mnist.validation, limit: 1000 });
      assert.ok(after.loss < before.loss - 0.3, `loss ${before.loss} -> ${after.loss}`);
      assert.ok(after.accuracy > before.accuracy + 0.2, `accuracy ${before.accuracy} -> ${after.accuracy}`);
      assert.equal(after.examples, 1000);
    });
  }

  it('is reproducible: same inputs and seed give the same delta; another seed another one', async () => {
    const { params } = initialParams('mlp', 2);
    const first = await trainLocal({ spec: 'mlp', params, data: shard, config: { ...config, innerSteps: 5 } });
    const second = await trainLocal({ spec: 'mlp', params, data: shard, config: { ...config, innerSteps: 5 } });
    const other = await trainLocal({ spec: 'mlp', params, data: shard, config: { ...config, innerSteps: 5, seed: 'other' } });
    assert.deepEqual(first.delta, second.delta);
    assert.notDeepEqual(first.delta, other.delta);
  });

  it('trains the CNN through core/kernels on wasm when its filter counts are multiples of 4, everything else through tfjs', async () => {
    assert.equal(trainingEngine(resolveModelSpec('cnn')), 'kernels');
    assert.equal(trainingEngine(resolveModelSpec({ name: 'cnn', filters: [6, 16] })), 'tfjs');
    assert.equal(trainingEngine(resolveModelSpec('mlp')), 'tfjs');
    await initBackend('cpu');
    try {
      assert.equal(trainingEngine(resolveModelSpec('cnn')), 'tfjs');
    } finally {
      await initBackend('wasm');
    }
    const { params } = initialParams({ name: 'cnn', filters: [6, 16] }, 1);
    const result = await trainLocal({ spec: { name: 'cnn', filters: [6, 16] }, params, data: shard, config: { ...config, innerSteps: 3 } });
    assert.equal(result.delta.length, params.length);
  });

  it('cnn on wasm (gradnet\'s own kernels): reproducible, and the model tfjs trains on the cpu backend', async () => {
    const { params } = initialParams('cnn', 3);
    const cnnConfig = { ...config, innerSteps: 10, batchSize: 64 };
    const first = await trainLocal({ spec: 'cnn', params, data: shard, config: cnnConfig });
    const second = await trainLocal({ spec: 'cnn', params, data: shard, config: cnnConfig });
    assert.deepEqual(first.delta, second.delta);
    await initBackend('cpu');
    let reference: Awaited<ReturnType<typeof trainLocal>>;
    try {
      reference = await trainLocal({ spec: 'cnn', params, data: shard, config: cnnConfig });
    } finally {
      await initBackend('wasm');
    }
    assert.ok(Math.abs(first.trainLoss - reference.trainLoss) < 1e-4 * reference.trainLoss, `loss ${first.trainLoss} vs ${reference.trainLoss}`);
    let difference = 0;
    let norm = 0;
    for (let i = 0; i < params.length; i++) {
      difference += (first.delta[i] - reference.delta[i]) ** 2;
      norm += reference.delta[i] ** 2;
    }
    assert.ok(Math.sqrt(difference) < 1e-3 * Math.sqrt(norm), `deltas differ by ${Math.sqrt(difference / norm)} of their norm`);
  });

  it('reports every step to onStep, and the losses average to the reported train loss', async () => {
    const { params } = initialParams('mlp', 2);
    const steps: number[] = [];
    let lossSum = 0;
    const result = await trainLocal({
      spec: 'mlp',
      params,
      data: shard,
      config: { ...config, innerSteps: 6 },
      onStep: (stepsDone, loss) => {
        steps.push(stepsDone);
        lossSum += loss;
      },
    });
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
    assert.ok(Math.abs(lossSum / 6 - result.trainLoss) < 1e-6);
  });

  it('leaks no tensors over many rounds of training and evaluation', async () => {
    const { params } = initialParams({ name: 'cnn' }, 3);
    const round = async (): Promise<void> => {
      const { delta } = await trainLocal({ spec: 'cnn', params, data: shard, config: { ...config, innerSteps: 2 } });
      await evaluate({ spec: 'cnn', params: params.map((value, i) => value + delta[i]), data: mnist.validation, limit: 1500 });
      await trainLocal({ spec: 'mlp', params: initialParams('mlp', 3).params, data: shard, config: { ...config, innerSteps: 2 } });
    };
    await round();
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 12; i++) await round();
    assert.equal(tf.memory().numTensors, baseline);
  });

  it('refuses parameter vectors of the wrong length or holding NaN, and bad configs', async () => {
    const { params } = initialParams('mlp', 4);
    await assert.rejects(trainLocal({ spec: 'mlp', params: params.subarray(1), data: shard, config }), InvalidParametersError);
    const poisoned = params.slice();
    poisoned[10] = Number.POSITIVE_INFINITY;
    await assert.rejects(evaluate({ spec: 'mlp', params: poisoned, data: mnist.validation }), /Infinity at index 10/);
    await assert.rejects(trainLocal({ spec: 'mlp', params, data: shard, config: { ...config, innerSteps: 0 } }), TrainingConfigError);
    await assert.rejects(trainLocal({ spec: 'mlp', params, data: shard, config: { ...config, learningRate: Number.NaN } }), /learningRate/);
    const empty = { images: new Uint8Array(0), labels: new Uint8Array(0), size: 0 };
    await assert.rejects(trainLocal({ spec: 'mlp', params, data: empty, config }), /shard is empty/);
  });

  it('stops when its signal aborts', async () => {
    const { params } = initialParams('mlp', 5);
    await assert.rejects(
      trainLocal({ spec: 'mlp', params, data: shard, config: { ...config, innerSteps: 100_000 }, signal: AbortSignal.timeout(200) }),
      (error: unknown) => (error as Error).name === 'TimeoutError',
    );
  });

  it('createModel gives an owned model that round-trips its flat parameters', () => {
    const model = createModel({ name: 'cnn' }, 9);
    try {
      assert.deepEqual(model.getParams(), initialParams('cnn', 9).params);
      const replaced = initialParams('cnn', 10).params;
      model.setParams(replaced);
      assert.deepEqual(model.getParams(), replaced);
    } finally {
      model.dispose();
    }
  });
});
