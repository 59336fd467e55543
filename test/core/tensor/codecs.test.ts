import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CODEC_IDS,
  CodecError,
  DEFAULT_CODEC,
  DEFAULT_TOPK_FRACTION,
  decodeDelta,
  encodeDelta,
  errorFeedbackStart,
  isCodecId,
  isSparseCodec,
  maxPayloadBytes,
  type CodecId,
} from '../../../core/tensor/index.ts';

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

test('topksign sends the top k and a seeded sample of nine times as many others as signs: over 100× smaller than fp32 at k = 1.4%', () => {
  const delta = syntheticDelta(100_000, 8);
  const { payload, residual } = encodeDelta('topksign', delta, { k: 0.014 });
  const ratio = (delta.length * 4) / payload.byteLength;
  assert.ok(ratio >= 100, `ratio ${ratio}`);
  const decoded = decodeDelta('topksign', payload, delta.length);
  const kept = [...decoded.keys()].filter((i) => decoded[i] !== 0);
  const byMagnitude = [...delta.keys()].sort((a, b) => Math.abs(delta[b]) - Math.abs(delta[a]));
  const top = byMagnitude.slice(0, 1400);
  for (const i of top) assert.equal(Math.sign(decoded[i]), Math.sign(delta[i]), `top index ${i}`);
  // The sample: about 12.6% of the other 98,600 coordinates.
  const sampled = kept.length - top.length;
  assert.ok(sampled > 12_000 && sampled < 12_850, `${sampled} sampled`);
  // A top block's values share one magnitude: the mean of their |value|.
  const firstTopBlock = [...top].sort((a, b) => a - b).slice(0, 256);
  const mean = firstTopBlock.reduce((sum, i) => sum + Math.abs(delta[i]), 0) / firstTopBlock.length;
  for (const i of firstTopBlock) assert.equal(Math.abs(decoded[i]), Math.fround(mean));
  assert.ok(residual);
  for (let i = 0; i < delta.length; i++) assert.ok(Math.abs(decoded[i] + residual[i] - delta[i]) < 1e-9, `index ${i}`);
});

test('topksign error feedback transmits, over rounds, what one round drops', () => {
  const delta = syntheticDelta(5000, 9);
  let residual: Float32Array | undefined;
  const sent = new Float32Array(delta.length);
  const rounds = 60;
  for (let round = 0; round < rounds; round++) {
    const encoded = encodeDelta('topksign', delta, { k: 0.05, residual });
    residual = encoded.residual;
    const decoded = decodeDelta('topksign', encoded.payload, delta.length);
    for (let i = 0; i < sent.length; i++) sent[i] += decoded[i];
  }
  const total = delta.map((value) => value * rounds);
  assert.ok(relativeError(sent, total) < 0.1, `relative error ${relativeError(sent, total)}`);
});

test('topksign decodes a hand-made payload: one negative top coordinate at index 3, no sample', () => {
  // tag 5, 8 elements | 1 top coordinate | Rice parameter 0 | seed 1 | threshold 0 | gap 3 = unary
  // 1110 | top scale 2.0 | sign bit 1.
  const payload = new Uint8Array([5, 8, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0b0000_0111, 0, 0, 0, 0x40, 0x01]);
  assert.deepEqual([...decodeDelta('topksign', payload, 8)], [0, 0, 0, -2, 0, 0, 0, 0]);
  assert.throws(() => decodeDelta('topk', payload, 8), /tag 5 is not the topk tag 4/);
  const zeroSeed = Uint8Array.from(payload);
  zeroSeed[10] = 0;
  assert.throws(() => decodeDelta('topksign', zeroSeed, 8), /seed is 0/);
  // With a threshold that samples every other coordinate, the same bytes lack the sample's scale and signs.
  const sampleAll = Uint8Array.from(payload);
  sampleAll.set([0xff, 0xff, 0xff, 0xff], 14);
  assert.throws(() => decodeDelta('topksign', sampleAll, 8), /1 top and 7 sampled coordinates must be 28 bytes, got 24/);
});

test('the sparse codecs encode deterministically: the same delta gives the same bytes (topksign\'s seed included)', () => {
  const delta = syntheticDelta(20_000, 10);
  // Ties at the threshold are taken in index order.
  delta.fill(1e-3, 100, 400);
  for (const codec of ['topk', 'topksign'] as const) {
    const first = encodeDelta(codec, delta, { k: 0.02 });
    const second = encodeDelta(codec, Float32Array.from(delta), { k: 0.02 });
    assert.deepEqual(second.payload, first.payload);
    assert.deepEqual(decodeDelta(codec, second.payload, delta.length), decodeDelta(codec, first.payload, delta.length));
  }
});

test('fuzz: a mutated, truncated or random sparse payload decodes to the model size or throws CodecError', () => {
  let state = 0x2545f491;
  const next = (bound: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % bound;
  };
  const length = 500;
  for (const codec of ['topk', 'topksign'] as const) {
    const valid = encodeDelta(codec, syntheticDelta(length, 11), { k: 0.05 }).payload;
    const bound = maxPayloadBytes(codec, length);
    for (let trial = 0; trial < 3000; trial++) {
      let payload: Uint8Array;
      const kind = trial % 4;
      if (kind === 0) {
        payload = Uint8Array.from(valid);
        for (let flips = 1 + next(4); flips > 0; flips--) payload[next(payload.length)] ^= 1 << next(8);
      } else if (kind === 1) {
        payload = valid.subarray(0, next(valid.length));
      } else if (kind === 2) {
        payload = new Uint8Array(valid.length + 1 + next(8));
        payload.set(valid);
        for (let i = valid.length; i < payload.length; i++) payload[i] = next(256);
      } else {
        // A valid header and count, then noise: the stream decoders must stay inside the payload.
        payload = new Uint8Array(10 + next(bound - 10));
        for (let i = 10; i < payload.length; i++) payload[i] = next(256);
        payload.set(valid.subarray(0, 5));
        new DataView(payload.buffer).setUint32(5, next(length + 1), true);
        payload[9] = next(12);
      }
      try {
        const decoded = decodeDelta(codec, payload, length);
        assert.equal(decoded.length, length);
        assert.ok(payload.byteLength <= bound, 'anything that decodes fits the receivers\' size bound');
      } catch (error) {
        assert.ok(error instanceof CodecError, `${codec} trial ${trial}: ${String(error)}`);
      }
    }
  }
});

test('the default codec is a known sparse codec and its fraction is a valid k', () => {
  assert.ok(isCodecId(DEFAULT_CODEC));
  assert.ok(isSparseCodec(DEFAULT_CODEC as CodecId));
  assert.ok(DEFAULT_TOPK_FRACTION > 0 && DEFAULT_TOPK_FRACTION <= 1);
  assert.throws(() => encodeDelta('int8', new Float32Array(3), { k: 0.1 }), /sparse codecs/);
});

test('a sparse codec given no fraction keeps its own default: topk 10% (1.4% starves it), topksign the network default', () => {
  const delta = syntheticDelta(10_000, 5);
  const kept = (codec: CodecId, k?: number): number => decodeDelta(codec, encodeDelta(codec, delta, k === undefined ? {} : { k }).payload, delta.length).filter((value) => value !== 0).length;
  assert.equal(kept('topk'), kept('topk', 0.1));
  assert.equal(kept('topk'), 1000);
  assert.equal(kept('topksign'), kept('topksign', DEFAULT_TOPK_FRACTION));
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
  const hugeSign = new Uint8Array(18);
  hugeSign.set([5, 10, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 1]);
  assert.throws(() => decodeDelta('topksign', hugeSign, 10), /topksign payload selects/);
  assert.throws(() => decodeDelta('nope' as never, new Uint8Array(5), 1), /unknown codec/);
});

test('encoding refuses non-finite values and mismatched residuals', () => {
  assert.throws(() => encodeDelta('int8', new Float32Array([1, NaN])), /delta\[1\] is NaN/);
  assert.throws(() => encodeDelta('topk', new Float32Array(3), { residual: new Float32Array(2) }), CodecError);
  assert.throws(() => encodeDelta('topk', new Float32Array(3), { k: 0 }), /fraction/);
});
