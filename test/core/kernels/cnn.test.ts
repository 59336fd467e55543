import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CnnKernel, cnnKernelServes, KernelError, type CnnShape } from '../../../core/kernels/index.ts';
import { createModel, initBackend, initialParams, layoutFor, loadMnist, resolveModelSpec, selectExamples, type Dataset } from '../../../core/ml/index.ts';

const BATCH = 64;

/** Fills a kernel's batch buffers with `data` scaled to [0, 1], as core/ml's trainer does. */
function fill(kernel: CnnKernel, data: Dataset): void {
  for (let i = 0; i < data.images.length; i++) kernel.pixels[i] = data.images[i] * (1 / 255);
  kernel.labels.set(data.labels);
}

/** The cpu backend's gradient (and loss) of core/ml's tfjs CNN, flattened in layout order. */
function cpuGradient(shape: CnnShape, params: Float32Array, data: Dataset): { loss: number; gradient: Float32Array } {
  const model = createModel({ name: 'cnn', ...shape }, 0);
  try {
    model.setParams(params);
    return tf.tidy(() => {
      const x = tf.tensor2d(Float32Array.from(data.images, (value) => value * (1 / 255)), [data.size, 784]);
      const y = tf.tensor1d(Int32Array.from(data.labels), 'int32');
      const { value, grads } = tf.variableGrads(() => model.loss(x, y), model.variables);
      const gradient = new Float32Array(params.length);
      let offset = 0;
      for (const variable of model.variables) {
        const values = grads[variable.name].dataSync();
        gradient.set(values, offset);
        offset += values.length;
      }
      return { loss: value.dataSync()[0], gradient };
    });
  } finally {
    model.dispose();
  }
}

/** Each parameter tensor's gradient within `tolerance` of the reference, relative to the reference's largest entry. */
function assertClose(actual: Float32Array, expected: Float32Array, shape: CnnShape, tolerance: number): void {
  let offset = 0;
  for (const entry of layoutFor(resolveModelSpec({ name: 'cnn', ...shape }))) {
    const size = entry.shape.reduce((product, dim) => product * dim, 1);
    let scale = 0;
    let worst = 0;
    for (let i = offset; i < offset + size; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    }
    assert.ok(scale > 0, `${entry.name}: the reference gradient is zero, so this comparison would prove nothing`);
    assert.ok(worst <= tolerance * scale, `${entry.name}: differs by ${worst} (${(worst / scale).toExponential(2)} of its largest entry ${scale})`);
    offset += size;
  }
}

describe('CNN kernels (WebAssembly SIMD) against the tfjs cpu backend', () => {
  let batch: Dataset;
  before(async () => {
    await initBackend('cpu');
    const mnist = await loadMnist();
    batch = selectExamples(mnist.train, Array.from({ length: BATCH }, (_, i) => (i * 7919) % mnist.train.size));
  });

  for (const shape of [
    { kernelSize: 5, filters: [8, 16] },
    { kernelSize: 3, filters: [4, 12] },
  ] satisfies CnnShape[]) {
    it(`gives the cpu backend's loss and gradient within 1e-4 (kernel ${shape.kernelSize}, filters ${shape.filters.join('/')})`, async () => {
      const kernel = await CnnKernel.create(shape, BATCH);
      for (const seed of [1, 2]) {
        const { params } = initialParams({ name: 'cnn', ...shape }, seed);
        // Non-zero biases, so that ReLU and pooling see positive and negative pre-activations alike.
        for (let i = 0; i < params.length; i++) if (params[i] === 0) params[i] = ((i % 7) - 3) * 0.01;
        kernel.params.set(params);
        fill(kernel, batch);
        const loss = kernel.gradient();
        const reference = cpuGradient(shape, params, batch);
        assert.ok(Math.abs(loss - reference.loss) <= 1e-5 * reference.loss, `loss ${loss} vs ${reference.loss}`);
        assertClose(kernel.grads, reference.gradient, shape, 1e-4);
      }
    });
  }

  it('uses only the first rows given', async () => {
    const shape: CnnShape = { kernelSize: 5, filters: [8, 16] };
    const kernel = await CnnKernel.create(shape, BATCH);
    kernel.params.set(initialParams('cnn', 3).params);
    fill(kernel, batch);
    const loss = kernel.gradient(10);
    const reference = cpuGradient(shape, kernel.params, selectExamples(batch, Array.from({ length: 10 }, (_, i) => i)));
    assert.ok(Math.abs(loss - reference.loss) <= 1e-5 * reference.loss);
    assertClose(kernel.grads, reference.gradient, shape, 1e-4);
  });

  it("takes tf.train.adam's steps", async () => {
    const shape: CnnShape = { kernelSize: 5, filters: [8, 16] };
    const { params } = initialParams('cnn', 4);
    const kernel = await CnnKernel.create(shape, BATCH);
    kernel.params.set(params);
    kernel.resetOptimizer();
    fill(kernel, batch);
    const model = createModel('cnn', 0);
    const optimizer = tf.train.adam(0.01);
    try {
      model.setParams(params);
      const x = tf.tensor2d(kernel.pixels, [BATCH, 784]);
      const y = tf.tensor1d(kernel.labels, 'int32');
      for (let step = 0; step < 5; step++) {
        kernel.gradient();
        kernel.adamStep(0.01);
        tf.tidy(() => {
          optimizer.minimize(() => model.loss(x, y), false, model.variables);
        });
      }
      tf.dispose([x, y]);
      const expected = model.getParams();
      const moved = expected.reduce((total, value, i) => Math.max(total, Math.abs(value - params[i])), 0);
      const worst = expected.reduce((total, value, i) => Math.max(total, Math.abs(value - kernel.params[i])), 0);
      assert.ok(moved > 0.01, `Adam moved the parameters by only ${moved}`);
      assert.ok(worst <= 1e-3 * moved, `after 5 steps the parameters differ by ${worst} (they moved by ${moved})`);
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  });

  it('refuses shapes it does not vectorise', async () => {
    assert.equal(cnnKernelServes({ kernelSize: 5, filters: [6, 16] }), false);
    assert.equal(cnnKernelServes({ kernelSize: 5, filters: [8, 16] }), true);
    await assert.rejects(CnnKernel.create({ kernelSize: 5, filters: [6, 16] }, BATCH), KernelError);
    const kernel = await CnnKernel.create({ kernelSize: 5, filters: [8, 16] }, 4);
    assert.throws(() => kernel.gradient(5), KernelError);
  });
});
