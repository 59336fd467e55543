import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, hexToBytes, keccak256 } from 'viem';
import { assertParameters, canonicalJson, canonicalWeightsBytes, float32ToLittleEndian, InvalidParametersError, layoutSize, modelHash, placeLayout, weightsHash, type ParameterLayout } from '../../../core/tensor/index.ts';

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
      assert.throws(() => weightsHash(layout, poisoned), InvalidParametersError);
    }
  });

  it('refuses duplicate names and non-integer dimensions', () => {
    assert.throws(() => weightsHash([{ name: 'w', shape: [1] }, { name: 'w', shape: [1] }], new Float32Array(2)), /twice/);
    assert.throws(() => weightsHash([{ name: 'w', shape: [1.5] }], new Float32Array(1)), /positive integers/);
  });
});

describe('weightsHash', () => {
  it('is keccak256 of tag, layout and little-endian float32 values (stable across machines)', () => {
    const bytes = canonicalWeightsBytes(layout, params);
    const tag = new TextEncoder().encode('gradnet/model/v1');
    assert.deepEqual(bytes.subarray(0, tag.length), tag);
    const values = bytes.subarray(bytes.length - 36);
    assert.deepEqual(Array.from(values.subarray(0, 4)), [0x00, 0x00, 0x00, 0x3f]); // 0.5 as little-endian float32
    assert.equal(weightsHash(layout, params), keccak256(bytes));
    assert.equal(weightsHash(layout, params), '0xc718169fa0861f3f74f51aa966974a704f6ce5884206f2f875a986813c071cb4');
  });

  it('is equal for equal weights held in different buffers', () => {
    const copy = new Float32Array(new ArrayBuffer(64), 8, 9);
    copy.set(params);
    assert.equal(weightsHash(layout, copy), weightsHash(layout, params));
  });

  it('changes with any value, name or shape', () => {
    const base = weightsHash(layout, params);
    const nudged = params.slice();
    nudged[8] = Math.fround(8 + 2 ** -20);
    assert.notEqual(weightsHash(layout, nudged), base);
    assert.notEqual(weightsHash([{ name: 'w', shape: [2, 3] }, { name: 'c', shape: [3] }], params), base);
    assert.notEqual(weightsHash([{ name: 'w', shape: [3, 2] }, { name: 'b', shape: [3] }], params), base);
  });
});

describe('modelHash', () => {
  const momentum = Float32Array.from(params, (value) => value / 10);
  const meta = { round: 2, model: { name: 'mlp', hidden: 3 }, parentHash: `0x${'ab'.repeat(32)}`, aggregation: { rule: 'mean', outer: { lr: 0.7, momentumFactor: 0.9, nesterov: true } } };
  const base = modelHash({ layout, params, momentum, meta });

  it('is pinned: tag, weights hash, momentum and canonical committed meta', () => {
    const committedBytes = concatBytes([
      new TextEncoder().encode('gradnet/model/v2'),
      hexToBytes(weightsHash(layout, params)),
      Uint8Array.of(1),
      hexToBytes(keccak256(float32ToLittleEndian(momentum))),
      hexToBytes(keccak256(new TextEncoder().encode(canonicalJson(meta)))),
    ]);
    assert.equal(base, keccak256(committedBytes));
    assert.equal(base, '0xdb66257fa02946613d1a18257ee046a2034f64a8ed88a29fa3b95af78f8822d9');
  });

  it('commits to the momentum: altered, zeroed or left out, the hash changes', () => {
    const nudged = momentum.slice();
    nudged[3] = Math.fround(nudged[3] + 2 ** -20);
    assert.notEqual(modelHash({ layout, params, momentum: nudged, meta }), base);
    assert.notEqual(modelHash({ layout, params, momentum: new Float32Array(momentum.length), meta }), base);
    assert.notEqual(modelHash({ layout, params, meta }), base);
    assert.notEqual(modelHash({ layout, params, meta }), modelHash({ layout, params, momentum: new Float32Array(momentum.length), meta }));
  });

  it('commits to every meta field training and audits read, and to new ones', () => {
    const altered = [
      { ...meta, round: 3 },
      { ...meta, model: { name: 'cnn', filters: [8, 16], kernelSize: 5 } },
      { ...meta, parentHash: `0x${'cd'.repeat(32)}` },
      { ...meta, aggregation: { ...meta.aggregation, outer: { ...meta.aggregation.outer, lr: 7 } } },
      { ...meta, codec: 'int8' },
    ];
    for (const variant of altered) assert.notEqual(modelHash({ layout, params, momentum, meta: variant }), base, JSON.stringify(variant));
  });

  it('leaves out the evaluation figures and does not depend on key order or undefined fields', () => {
    assert.equal(modelHash({ layout, params, momentum, meta: { ...meta, evaluation: { loss: 0.3, accuracy: 0.9 } } }), base);
    const reordered = { aggregation: { outer: { nesterov: true, momentumFactor: 0.9, lr: 0.7 }, rule: 'mean' }, parentHash: meta.parentHash, model: { hidden: 3, name: 'mlp' }, round: 2, note: undefined };
    assert.equal(modelHash({ layout, params, momentum, meta: reordered }), base);
    assert.equal(canonicalJson({ b: [1, undefined, { d: 1, c: 'x' }], a: undefined }), '{"b":[1,null,{"c":"x","d":1}]}');
  });
});
