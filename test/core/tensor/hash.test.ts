import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keccak256 } from 'viem';
import { assertParameters, canonicalModelBytes, InvalidParametersError, layoutSize, modelHash, placeLayout, type ParameterLayout } from '../../../core/tensor/index.ts';

const layout: ParameterLayout = [
  { name: 'w', shape: [2, 3] },
  { name: 'b', shape: [3] },
];
const params = Float32Array.from([0.5, -1.25, 3, 0, 1e-3, -7, 2, 4, 8]);

describe('parameter layout', () => {
  it('places entries in order with offsets and sizes', () => {
    assert.equal(layoutSize(layout), 9);
    assert.deepEqual(
      placeLayout(layout).map(({ name, offset, size }) => [name, offset, size]),
      [['w', 0, 6], ['b', 6, 3]],
    );
  });

  it('refuses a vector of the wrong length, naming both lengths', () => {
    assert.throws(() => assertParameters(layout, new Float32Array(8)), (error: unknown) => {
      assert.ok(error instanceof InvalidParametersError);
      assert.match(error.message, /8 values but the layout needs 9/);
      assert.equal(error.value, 8);
      return true;
    });
  });

  it('refuses NaN and infinities, naming the index', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const poisoned = params.slice();
      poisoned[4] = bad;
      assert.throws(() => assertParameters(layout, poisoned), /at index 4/);
      assert.throws(() => modelHash(layout, poisoned), InvalidParametersError);
    }
  });

  it('refuses duplicate names and non-integer dimensions', () => {
    assert.throws(() => modelHash([{ name: 'w', shape: [1] }, { name: 'w', shape: [1] }], new Float32Array(2)), /twice/);
    assert.throws(() => modelHash([{ name: 'w', shape: [1.5] }], new Float32Array(1)), /positive integers/);
  });
});

describe('modelHash', () => {
  it('is keccak256 of tag, layout and little-endian float32 values (stable across machines)', () => {
    const bytes = canonicalModelBytes(layout, params);
    const tag = new TextEncoder().encode('gradnet/model/v1');
    assert.deepEqual(bytes.subarray(0, tag.length), tag);
    const values = bytes.subarray(bytes.length - 36);
    assert.deepEqual(Array.from(values.subarray(0, 4)), [0x00, 0x00, 0x00, 0x3f]); // 0.5 as little-endian float32
    assert.equal(modelHash(layout, params), keccak256(bytes));
    assert.equal(modelHash(layout, params), '0xc718169fa0861f3f74f51aa966974a704f6ce5884206f2f875a986813c071cb4');
  });

  it('is equal for equal weights held in different buffers', () => {
    const copy = new Float32Array(new ArrayBuffer(64), 8, 9);
    copy.set(params);
    assert.equal(modelHash(layout, copy), modelHash(layout, params));
  });

  it('changes with any value, name or shape', () => {
    const base = modelHash(layout, params);
    const nudged = params.slice();
    nudged[8] = Math.fround(8 + 2 ** -20);
    assert.notEqual(modelHash(layout, nudged), base);
    assert.notEqual(modelHash([{ name: 'w', shape: [2, 3] }, { name: 'c', shape: [3] }], params), base);
    assert.notEqual(modelHash([{ name: 'w', shape: [3, 2] }, { name: 'b', shape: [3] }], params), base);
  });
});
