import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CODEC_IDS, CodecError, decodeDelta, encodeDelta, errorFeedbackStart, maxPayloadBytes } from '../../../core/tensor/index.ts';

/** Deterministic gradient-like vector: mostly small values with a heavy tail, like a pseudo-gradient. */
function syntheticDelta(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const gaussian = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    out[i] = gaussian * (next() < 0.05 ? 1e-2 : 1e-4);
  }
  return out;
}

function norm(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value * value;
  return Math.sqrt(sum);
}

function relativeError(decoded: Float32Array, original: Float32Array): number {
  const difference = new Float32Array(original.length);
  for (let i = 0; i < original.length; i++) difference[i] = decoded[i] - original[i];
  return norm(difference) / norm(original);
}

test('fp32 round-trips exactly and returns no residual', () => {
  const delta = syntheticDelta(1000, 1);
  const { payload, residual } = encodeDelta('fp32', delta);
  assert.equal(residual, undefined);
  assert.deepEqual(decodeDelta('fp32', payload, delta.length), delta);
});

test('fp16 and int8 stay within their quantisation error and compress as promised', () => {
  const delta = syntheticDelta(10_000, 2);
  const fp16 = encodeDelta('fp16', delta);
  assert.ok(relativeError(decodeDelta('fp16', fp16.payload, delta.length), delta) < 1e-3);
  const int8 = encodeDelta('int8', delta);
  assert.ok(relativeError(decodeDelta('int8', int8.payload, delta.length), delta) < 0.05);
  assert.ok((delta.length * 4) / int8.payload.byteLength >= 3.5);
});

test('fp16 saturates beyond its range, keeps subnormals and signs', () => {
  const values = new Float32Array([1e6, -1e6, 1e-6, -3e-8, 0, 65504, 1.5]);
  const decoded = decodeDelta('fp16', encodeDelta('fp16', values).payload, values.length);
  assert.equal(decoded[0], 65504);
  assert.equal(decoded[1], -65504);
  assert.ok(Math.abs(decoded[2] - 1e-6) < 1e-7);
  assert.ok(decoded[3] <= 0 && decoded[3] > -1e-7);
  assert.deepEqual([decoded[4], decoded[5], decoded[6]], [0, 65504, 1.5]);
});

test('every finite half survives half → float32 → half unchanged', () => {
  const values = new Float32Array(1);
  const halves: number[] = [];
  for (let half = 0; half < 0x10000; half++) if ((half & 0x7c00) !== 0x7c00) halves.push(half);
  const input = new Uint8Array(5 + halves.length * 2);
  const view = new DataView(input.buffer);
  view.setUint8(0, 2);
  view.setUint32(1, halves.length, true);
  halves.forEach((half, i) => view.setUint16(5 + i * 2, half, true));
  const decoded = decodeDelta('fp16', input, halves.length);
  const reencoded = encodeDelta('fp16', decoded).payload;
  assert.deepEqual(reencoded, input);
  values[0] = decoded[1];
  assert.equal(values[0], 2 ** -24, 'the smallest subnormal');
});

test('topk keeps the largest coordinates, reaches a ratio above 100 at k = 1%, and its residual is what it dropped', () => {
  const delta = syntheticDelta(100_000, 3);
  const { payload, residual } = encodeDelta('topk', delta, { k: 0.01 });
  const decoded = decodeDelta('topk', payload, delta.length);
  assert.equal(decoded.filter((value) => value !== 0).length <= 1000, true);
  assert.ok((delta.length * 4) / payload.byteLength > 100, `ratio ${(delta.length * 4) / payload.byteLength}`);
  assert.ok(residual);
  for (let i = 0; i < delta.length; i++) assert.ok(Math.abs(decoded[i] + residual[i] - delta[i]) < 1e-9);
  const threshold = [...delta].map(Math.abs).sort((a, b) => b - a)[999];
  for (let i = 0; i < delta.length; i++) if (Math.abs(delta[i]) > threshold * 1.0001) assert.notEqual(decoded[i], 0, `index ${i}`);
});

test('topk error feedback transmits, over rounds, what one round drops', () => {
  const delta = syntheticDelta(5000, 4);
  let residual: Float32Array | undefined;
  const sent = new Float32Array(delta.length);
  const rounds = 50;
  for (let round = 0; round < rounds; round++) {
    const encoded = encodeDelta('topk', delta, { k: 0.05, residual });
    residual = encoded.residual;
    const decoded = decodeDelta('topk', encoded.payload, delta.length);
    for (let i = 0; i < sent.length; i++) sent[i] += decoded[i];
  }
  const total = delta.map((value) => value * rounds);
  assert.ok(relativeError(sent, total) < 0.1, `relative error ${relativeError(sent, total)}`);
});

test('topk packs 4-bit values and Rice-coded indices: 10% of the coordinates fit in 1/32 of fp32', () => {
  const delta = syntheticDelta(100_000, 6);
  const { payload, residual } = encodeDelta('topk', delta, { k: 0.1 });
  const ratio = (delta.length * 4) / payload.byteLength;
  assert.ok(ratio >= 32, `ratio ${ratio}`);
  const decoded = decodeDelta('topk', payload, delta.length);
  assert.equal(decoded.filter((value) => value !== 0).length, 10_000);
  assert.ok(residual);
  for (let i = 0; i < delta.length; i++) {
    assert.ok(Math.abs(decoded[i] + residual[i] - delta[i]) < 1e-9, `index ${i}`);
    // Kept values keep their sign; 8 magnitude levels per block bound the rounding error.
    if (decoded[i] !== 0) assert.equal(Math.sign(decoded[i]), Math.sign(delta[i]));
  }
  assert.ok(relativeError(decoded, delta) < 0.8, `relative error ${relativeError(decoded, delta)}`);
});

test('topk decoding refuses a bad Rice parameter, non-zero padding and gaps beyond the vector', () => {
  const delta = syntheticDelta(300, 7);
  const { payload } = encodeDelta('topk', delta, { k: 0.1 });
  assert.deepEqual(decodeDelta('topk', payload, delta.length).length, delta.length);
  const badParameter = Uint8Array.from(payload);
  badParameter[9] = 32;
  assert.throws(() => decodeDelta('topk', badParameter, delta.length), /Rice parameter 32/);
  const dirtyPadding = Uint8Array.from(payload);
  dirtyPadding[dirtyPadding.length - 1] |= 0x80;
  assert.throws(() => decodeDelta('topk', dirtyPadding, delta.length), CodecError);
  // One coordinate, Rice parameter 0, scale 1, value code 0, then a unary run of ones past the end.
  const runaway = new Uint8Array([4, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0xff, 0xff]);
  assert.throws(() => decodeDelta('topk', runaway, 8), /beyond the 8-element vector/);
  const valid = new Uint8Array([4, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 0x3f, 0x09, 0b0000_0111]);
  assert.deepEqual([...decodeDelta('topk', valid, 8)], [0, 0, 0, -2, 0, 0, 0, 0]);
});

test('error feedback starts local training from base + residual', () => {
  const base = new Float32Array([1, 2, 3]);
  assert.equal(errorFeedbackStart(base, undefined), base);
  assert.deepEqual([...errorFeedbackStart(base, new Float32Array([0.5, -2, 0]))], [1.5, 0, 3]);
  assert.deepEqual([...base], [1, 2, 3], 'the base model is not modified');
  assert.throws(() => errorFeedbackStart(base, new Float32Array(2)), CodecError);
});

test('decoding refuses wrong codec, wrong length, truncation and trailing bytes before allocating', () => {
  const delta = syntheticDelta(300, 5);
  for (const codec of CODEC_IDS) {
    const { payload } = encodeDelta(codec, delta);
    assert.ok(payload.byteLength <= maxPayloadBytes(codec, delta.length));
    assert.throws(() => decodeDelta(codec, payload, delta.length + 1), CodecError);
    assert.throws(() => decodeDelta(codec, payload.subarray(0, payload.byteLength - 1), delta.length), CodecError);
    const longer = new Uint8Array(payload.byteLength + 1);
    longer.set(payload);
    assert.throws(() => decodeDelta(codec, longer, delta.length), CodecError);
    const other = CODEC_IDS.find((candidate) => candidate !== codec)!;
    assert.throws(() => decodeDelta(other, payload, delta.length), CodecError);
  }
  const huge = new Uint8Array(10);
  huge.set([4, 10, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0]);
  assert.throws(() => decodeDelta('topk', huge, 10), /selects/);
  assert.throws(() => decodeDelta('nope' as never, new Uint8Array(5), 1), /unknown codec/);
});

test('encoding refuses non-finite values and mismatched residuals', () => {
  assert.throws(() => encodeDelta('int8', new Float32Array([1, NaN])), /delta\[1\] is NaN/);
  assert.throws(() => encodeDelta('topk', new Float32Array(3), { residual: new Float32Array(2) }), CodecError);
  assert.throws(() => encodeDelta('topk', new Float32Array(3), { k: 0 }), /fraction/);
});
