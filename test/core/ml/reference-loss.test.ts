import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  CIFAR10_INPUT_SHAPE,
  DatasetError,
  evaluate,
  initBackend,
  initialParams,
  loadMnist,
  REFERENCE_EVALUATOR,
  referenceLoss,
  resolveModelSpec,
  TrainingConfigError,
  type Dataset,
  type MnistSplits,
  type ModelSpecLike,
} from '../../../core/ml/index.ts';

let mnist: MnistSplits;

/** Seeded initial weights moved off their start a little, so ReLUs and max pools have real work. */
function modelParams(spec: ModelSpecLike): Float32Array {
  return initialParams(spec, 11).params.map((value, k) => value + 0.05 * Math.sin(k * 0.37));
}

describe('referenceLoss (the scoring evaluator auditors recompute)', () => {
  before(async () => {
    mnist = await loadMnist();
  });

  for (const [spec, examples] of [
    [resolveModelSpec('mlp'), 500],
    [resolveModelSpec({ name: 'cnn', filters: [8, 16] }), 200],
  ] as const) {
    it(`is the same model as tfjs: ${spec.name} on ${examples} real MNIST validation examples within 1e-5 of evaluate on cpu and on wasm`, async () => {
      const params = modelParams(spec);
      const reference = await referenceLoss({ spec, params, data: mnist.validation, limit: examples });
      for (const backend of ['cpu', 'wasm'] as const) {
        await initBackend(backend);
        const tfjs = await evaluate({ spec, params, data: mnist.validation, limit: examples });
        assert.ok(Math.abs(reference - tfjs.loss) < 1e-5, `${backend}: reference ${reference}, tfjs ${tfjs.loss}`);
      }
      // Whichever backend tfjs runs (wasm now), the reference repeats itself to the bit.
      assert.equal(Object.is(await referenceLoss({ spec, params, data: mnist.validation, limit: examples }), reference), true);
    });
  }

  it('takes the input shape from the model: CIFAR-10 (32×32×3, channels last) MLP and CNN agree with tfjs too', async () => {
    const examples = 40;
    const bytes = examples * 32 * 32 * 3;
    const cifar: Dataset = {
      name: 'cifar10',
      shape: CIFAR10_INPUT_SHAPE,
      // Dense colour-like bytes (no zeros to skip), so every tap of every channel counts.
      images: Uint8Array.from({ length: bytes }, (_, i) => 1 + ((i * 2654435761) >>> 24) % 255),
      labels: Uint8Array.from({ length: examples }, (_, i) => (i * 7) % 10),
      size: examples,
    };
    await initBackend('cpu');
    for (const spec of [resolveModelSpec({ name: 'mlp', hidden: 32, dataset: 'cifar10' }), resolveModelSpec({ name: 'cnn', filters: [4, 8], dataset: 'cifar10' })]) {
      const params = modelParams(spec);
      const reference = await referenceLoss({ spec, params, data: cifar, limit: examples });
      const tfjs = await evaluate({ spec, params, data: cifar, limit: examples });
      assert.ok(Math.abs(reference - tfjs.loss) < 1e-5, `${spec.name}: reference ${reference}, tfjs ${tfjs.loss}`);
    }
  });

  it('names its arithmetic with an id checkpoints record', () => {
    assert.equal(REFERENCE_EVALUATOR, 'reference-v1');
  });

  it('pins its bits: a known loss for a known model and batch (a change to the arithmetic must bump the evaluator id)', async () => {
    const mlp = resolveModelSpec({ name: 'mlp', hidden: 16 });
    const mlpLoss = await referenceLoss({ spec: mlp, params: modelParams(mlp), data: mnist.validation, limit: 50 });
    assert.equal(mlpLoss, PINNED_MLP_LOSS, `got ${mlpLoss}`);
    const cnn = resolveModelSpec({ name: 'cnn', filters: [6, 5] });
    const cnnLoss = await referenceLoss({ spec: cnn, params: modelParams(cnn), data: mnist.validation, limit: 50 });
    assert.equal(cnnLoss, PINNED_CNN_LOSS, `got ${cnnLoss}`);
  });

  it('refuses data of another dataset than the model takes, and a bad limit, saying what to do', async () => {
    const spec = resolveModelSpec('mlp');
    const cifar: Dataset = { name: 'cifar10', shape: CIFAR10_INPUT_SHAPE, images: new Uint8Array(2 * 32 * 32 * 3), labels: new Uint8Array(2), size: 2 };
    for (const model of [spec, resolveModelSpec('cnn')]) {
      await assert.rejects(referenceLoss({ spec: model, params: modelParams(model), data: cifar, limit: 2 }), (error: unknown) => {
        assert.ok(error instanceof DatasetError);
        assert.match(error.message, /scoring data is cifar10 \(32×32×3\) but the model is trained on mnist \(28×28×1\); run this node with --dataset mnist/);
        return true;
      });
    }
    await assert.rejects(referenceLoss({ spec, params: modelParams(spec), data: mnist.validation, limit: 0 }), TrainingConfigError);
  });

  it('stops when its signal aborts', async () => {
    const spec = resolveModelSpec('cnn');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(referenceLoss({ spec, params: modelParams(spec), data: mnist.validation, limit: 5000, signal: controller.signal }), /abort/i);
  });
});

/** referenceLoss of the 16-unit MLP above on the first 50 validation examples, as computed when reference-v1 was written. */
const PINNED_MLP_LOSS = 2.395465891230938;
/** The same for a CNN whose filter counts are not multiples of the evaluator's filter block. */
const PINNED_CNN_LOSS = 2.3435343386071814;
