import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  evaluate,
  initBackend,
  initialParams,
  loadMnist,
  REFERENCE_EVALUATOR,
  referenceLoss,
  resolveModelSpec,
  TrainingConfigError,
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

  it('names its arithmetic with an id checkpoints record', () => {
    assert.equal(REFERENCE_EVALUATOR, 'reference-v1');
  });

  it('pins its bits: a known loss for a known model and batch (a change to the arithmetic must bump the evaluator id)', async () => {
    const spec = resolveModelSpec({ name: 'mlp', hidden: 16 });
    const loss = await referenceLoss({ spec, params: modelParams(spec), data: mnist.validation, limit: 50 });
    assert.equal(loss, PINNED_MLP_LOSS, `got ${loss}`);
  });

  it('refuses data of another shape than the model takes, and a bad limit, saying what to do', async () => {
    const spec = resolveModelSpec('mlp');
    const cifarShaped = { images: new Uint8Array(2 * 32 * 32 * 3), labels: new Uint8Array(2), size: 2 };
    await assert.rejects(referenceLoss({ spec, params: modelParams(spec), data: cifarShaped, limit: 2 }), (error: unknown) => {
      assert.ok(error instanceof TrainingConfigError);
      assert.match(error.message, /3072 bytes per example but the model's first dense layer takes 784; score on the dataset the model was built for/);
      return true;
    });
    const cnn = resolveModelSpec('cnn');
    await assert.rejects(referenceLoss({ spec: cnn, params: modelParams(cnn), data: cifarShaped, limit: 2 }), TrainingConfigError);
    await assert.rejects(referenceLoss({ spec, params: modelParams(spec), data: mnist.validation, limit: 0 }), /positive integer/);
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
