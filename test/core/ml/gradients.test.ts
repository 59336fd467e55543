import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { conv2dGradient, dense, initBackend, maxPoolGradient } from '../../../core/ml/index.ts';

type Padding = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Runs `compute` on the cpu backend and returns plain arrays, so wasm results can be compared with them. */
async function onCpu<T>(compute: () => T): Promise<T> {
  await initBackend('cpu');
  try {
    return compute();
  } finally {
    await initBackend('wasm');
  }
}

function maxAbsDifference(actual: tf.Tensor, expected: Float32Array): number {
  const values = actual.dataSync();
  assert.equal(values.length, expected.length);
  let worst = 0;
  for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i] - expected[i]));
  return worst;
}

function seeded(shape: number[], seed: number, low = -1, high = 1): Float32Array {
  return tf.tidy(() => tf.randomUniform(shape, low, high, 'float32', seed).dataSync() as Float32Array);
}

describe('wasm gradients match the cpu backend', () => {
  before(async () => {
    await initBackend('wasm');
  });

  for (const pad of ['valid', 'same', 2, [[0, 0], [2, 1], [0, 2], [0, 0]]] as Padding[]) {
    it(`Conv2D gradient, padding ${JSON.stringify(pad)}`, async () => {
      const xShape = [3, 9, 10, 2];
      const filterShape = [3, 3, 2, 4];
      const x = seeded(xShape, 1);
      const filter = seeded(filterShape, 2);
      const reference = await onCpu(() => {
        const xs = tf.tensor4d(x, xShape as [number, number, number, number]);
        const ws = tf.tensor4d(filter, filterShape as [number, number, number, number]);
        const y = tf.conv2d(xs, ws, 1, pad);
        const dy = tf.randomUniform(y.shape, -1, 1, 'float32', 3);
        const attrs = { strides: 1, pad, dataFormat: 'NHWC', dilations: 1 };
        const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: ws }, { ...attrs, inputShape: xShape } as never) as tf.Tensor;
        const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, { ...attrs, filterShape } as never) as tf.Tensor;
        return { dy: dy.dataSync() as Float32Array, dyShape: y.shape, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
      });
      tf.tidy(() => {
        const gradient = conv2dGradient(
          tf.tensor(reference.dy, reference.dyShape),
          [tf.tensor(x, xShape), tf.tensor(filter, filterShape)],
          { strides: 1, pad, dataFormat: 'NHWC', dilations: 1 },
        );
        assert.ok(maxAbsDifference(gradient.x(), reference.dx) < 1e-5);
        assert.ok(maxAbsDifference(gradient.filter(), reference.dw) < 1e-4);
      });
    });
  }

  it('Conv2D gradient through tf.grad trains a conv on wasm (no missing kernel)', () => {
    const loss = tf.tidy(() => {
      const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
      const grads = tf.grads((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'valid')))([tf.ones([3, 3, 1, 2])]);
      return grads[0].dataSync();
    });
    assert.equal(loss.length, 18);
    assert.ok(loss.every(Number.isFinite));
  });

  it('MaxPool gradient equals the cpu kernel on distinct values, including negatives', async () => {
    const shape = [2, 8, 6, 3];
    const x = seeded(shape, 5, -3, 1);
    const reference = await onCpu(() => {
      const xs = tf.tensor4d(x, shape as [number, number, number, number]);
      const y = tf.maxPool(xs, 2, 2, 'valid');
      const dy = tf.randomUniform(y.shape, -1, 1, 'float32', 6);
      const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: xs, output: y }, { filterSize: 2, strides: 2, pad: 'valid' } as never) as tf.Tensor;
      return { dy: dy.dataSync() as Float32Array, dyShape: y.shape, dx: dx.dataSync() as Float32Array };
    });
    tf.tidy(() => {
      const xs = tf.tensor(x, shape);
      const gradient = maxPoolGradient(tf.tensor(reference.dy, reference.dyShape), [xs, tf.maxPool(xs as tf.Tensor4D, 2, 2, 'valid')], {
        filterSize: 2,
        strides: 2,
        pad: 'valid',
      });
      assert.ok(maxAbsDifference(gradient.x(), reference.dx) < 1e-7);
    });
  });

  it('MaxPool gradient shares tied maxima and keeps each window\'s gradient in its window', () => {
    const dx = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]))))(tf.zeros([1, 4, 4, 1])).dataSync());
    assert.deepEqual(Array.from(dx), [0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1, 1, 0.75, 0.75, 1, 1]);
  });

  it('dense layer gradient equals the stock matMul gradient on cpu', async () => {
    const [x, w, b] = [seeded([5, 7], 7), seeded([7, 3], 8), seeded([3], 9)];
    const reference = await onCpu(() =>
      tf.grads((xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.add(tf.matMul(xs as tf.Tensor2D, ws as tf.Tensor2D), bs)), tf.range(0, 15).reshape([5, 3]))))([
        tf.tensor2d(x, [5, 7]),
        tf.tensor2d(w, [7, 3]),
        tf.tensor1d(b),
      ]).map((gradient) => gradient.dataSync() as Float32Array),
    );
    tf.tidy(() => {
      const gradients = tf.grads((xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) =>
        tf.sum(tf.mul(dense(xs as tf.Tensor2D, ws as tf.Tensor2D, bs as tf.Tensor1D, { relu: true, inputGradient: true }), tf.range(0, 15).reshape([5, 3]))),
      )([tf.tensor2d(x, [5, 7]), tf.tensor2d(w, [7, 3]), tf.tensor1d(b)]);
      gradients.forEach((gradient, i) => assert.ok(maxAbsDifference(gradient, reference[i]) < 1e-4, `gradient ${i}`));
    });
  });
});
