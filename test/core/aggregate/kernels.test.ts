import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KERNEL_BLOCK_LENGTH } from '../../../core/aggregate/kernels.ts';
import { weightedSum } from '../../../core/aggregate/mean.ts';
import { gramMatrix } from '../../../core/aggregate/multiKrum.ts';
import { gaussianSource, randomVector } from './helpers.ts';

/** The weighted sum as plain per-coordinate arithmetic in the kernels' documented order. */
function referenceSum(updates: readonly Float32Array[], weights: Float64Array, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let k = 0; k < length; k++) {
    let acc = 0;
    let i = 0;
    for (; i + 3 < updates.length; i += 4) {
      acc += weights[i] * updates[i][k] + weights[i + 1] * updates[i + 1][k] + (weights[i + 2] * updates[i + 2][k] + weights[i + 3] * updates[i + 3][k]);
    }
    for (; i < updates.length; i++) acc += weights[i] * updates[i][k];
    out[k] = acc;
  }
  return out;
}

function exactDot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k] * b[k];
  return sum;
}

// Lengths around the block and pair boundaries, counts around the groups of four and two.
const shapes: [number, number][] = [
  [1, 1],
  [2, 3],
  [3, 7],
  [4, KERNEL_BLOCK_LENGTH],
  [5, KERNEL_BLOCK_LENGTH + 1],
  [7, 2 * KERNEL_BLOCK_LENGTH + 3],
  [16, 3001],
  [18, KERNEL_BLOCK_LENGTH - 1],
];

test('the SIMD weighted sum is bit-identical to per-coordinate float64 arithmetic in its documented order', () => {
  const random = gaussianSource(21);
  for (const [n, length] of shapes) {
    const updates = Array.from({ length: n }, () => randomVector(length, random, 0.01));
    const weights = Float64Array.from({ length: n }, (_, i) => (1 + i) / ((n * (n + 1)) / 2));
    const sumSquares = new Float64Array(n);
    const dots = new Float64Array(n);
    const resultSquares = new Float64Array(1);
    const out = weightedSum(updates, weights, length, { sumSquares, dots, resultSquares });
    assert.deepEqual(out, referenceSum(updates, weights, length), `n ${n}, length ${length}`);
    const outSquares = exactDot(out, out);
    assert.ok(Math.abs(resultSquares[0] - outSquares) <= 1e-12 * outSquares, `result squares ${resultSquares[0]} vs ${outSquares}`);
    for (let i = 0; i < n; i++) {
      const squares = exactDot(updates[i], updates[i]);
      assert.ok(Math.abs(sumSquares[i] - squares) <= 1e-12 * squares, `squares of ${i}: ${sumSquares[i]} vs ${squares}`);
      const dot = exactDot(updates[i], out);
      assert.ok(Math.abs(dots[i] - dot) <= 1e-12 * Math.abs(squares), `dot of ${i}: ${dots[i]} vs ${dot}`);
    }
  }
});

test('the SIMD Gram matrix matches float64 dot products, is symmetric and repeats itself bit for bit', () => {
  const random = gaussianSource(22);
  for (const [n, length] of shapes) {
    const updates = Array.from({ length: n }, () => randomVector(length, random, 0.01));
    const gram = gramMatrix(updates, length);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const expected = exactDot(updates[i], updates[j]);
        const scale = Math.sqrt(exactDot(updates[i], updates[i]) * exactDot(updates[j], updates[j]));
        assert.ok(Math.abs(gram[i * n + j] - expected) <= 1e-12 * scale, `G[${i}][${j}] of n ${n}, length ${length}`);
        assert.equal(gram[i * n + j], gram[j * n + i]);
      }
    }
    assert.deepEqual(gramMatrix(updates.map((update) => Float32Array.from(update)), length), gram);
  }
});

test('the kernels read only [0, length) of each update: values beyond it (a longer buffer) change nothing', () => {
  const random = gaussianSource(23);
  const length = KERNEL_BLOCK_LENGTH + 5;
  const updates = Array.from({ length: 6 }, () => randomVector(length, random, 0.01));
  const longer = updates.map((update) => {
    const padded = new Float32Array(length + 3).fill(1e30);
    padded.set(update);
    return padded;
  });
  const weights = new Float64Array(6).fill(1 / 6);
  assert.deepEqual(weightedSum(longer, weights, length), weightedSum(updates, weights, length));
  assert.deepEqual(gramMatrix(longer, length), gramMatrix(updates, length));
});
