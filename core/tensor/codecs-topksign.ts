import { CodecError, HEADER_BYTES, QUANT_BLOCK, blockCount, writeHeader } from './codecs-format.ts';
import type { EncodedDense } from './codecs-dense.ts';
import {
  BitReader,
  BitWriter,
  SIGN_VALUES,
  cheapestRiceParameter,
  gapsOf,
  maxRiceBits,
  maxRiceBytes,
  readSparsePrefix,
  readRiceIndex,
  riceBits,
  selectTopIndices,
  topkCount,
  valueBytes,
  writeKeptValues,
  writeRice,
} from './codecs-topk.ts';

/**
 * `topksign`: the top k of the coordinates plus a random sample of the others, all as signs (1 bit)
 * with one mean magnitude per block of QUANT_BLOCK (SIGN_VALUES).
 *
 * - The top k carry what moved most, at the cost of Rice-coded indices (about log2(1/k) + 1.5
 *   bits each, codecs-topk.ts).
 * - The sample costs no index at all: it is every coordinate outside the top k whose turn comes
 *   up in a xorshift32 sequence seeded by the payload (state < threshold), so the receiver
 *   regenerates it. It reaches coordinates that top-k would leave waiting for many rounds — in a
 *   10-round run of a 6k-parameter CNN, top-k alone never touches most weights — and error
 *   feedback carries what its coarse values miss. The sample holds COVERAGE_PER_TOP × k of the
 *   coordinates, in its own scale blocks (its magnitudes are smaller than the top k's).
 * - The seed is a hash of the encoded vector, so encoding stays deterministic (the same delta
 *   gives the same bytes) while each peer and round samples differently.
 *
 * Layout: header | u32 top count | u8 rice parameter | u32 seed | u32 threshold | Rice stream of the
 * top indices, padded to a byte | f32 scales of the top blocks, then of the sample's blocks | sign
 * bits of the top (index order), then of the sample (index order), padded to a byte.
 */
const FIXED_BYTES = HEADER_BYTES + 4 + 1 + 4 + 4;
const SEED_AT = HEADER_BYTES + 5;
const THRESHOLD_AT = SEED_AT + 4;
/**
 * The random sample is this many times the top k's fraction of the coordinates. A sampled sign
 * costs 1 bit, a top one about 8 with its index, so at equal bytes a wider sample reaches more
 * weights per round: at 1.4% + 12.6% the CNN lost 0.37–0.39 pp (2 seeds) where 2.8% + 5.6%, a few
 * bytes larger, lost 0.67–1.16 pp; the MLP wants enough top k (1% + 10–14% lost 0.61–0.71 pp).
 */
export const COVERAGE_PER_TOP = 9;

/** A nonzero 32-bit seed from the vector's bits (FNV-1a over its words). */
function seedOf(values: Float32Array): number {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let hash = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) hash = Math.imul(hash ^ words[i], 0x01000193);
  return hash >>> 0 || 1;
}

/**
 * Marks the sample in `marks` (2) among coordinates not already marked (1, the top k): coordinate
 * i is sampled when the xorshift32 state after i + 1 steps from `seed` is below `threshold`. Returns
 * how many it marked.
 */
function markSample(marks: Uint8Array, seed: number, threshold: number): number {
  let state = seed | 0;
  let count = 0;
  for (let i = 0; i < marks.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    if (marks[i] === 0 && state >>> 0 < threshold) {
      marks[i] = 2;
      count++;
    }
  }
  return count;
}

function indicesMarked(marks: Uint8Array, mark: number, count: number): Uint32Array {
  const indices = new Uint32Array(count);
  let next = 0;
  for (let i = 0; i < marks.length && next < count; i++) if (marks[i] === mark) indices[next++] = i;
  return indices;
}

function tailBytes(topCount: number, sampleCount: number): number {
  return (blockCount(topCount) + blockCount(sampleCount)) * 4 + valueBytes(topCount + sampleCount, SIGN_VALUES);
}

export function topksignMaxPayloadBytes(length: number): number {
  return FIXED_BYTES + maxRiceBytes(length) + (blockCount(length) + 1) * 4 + valueBytes(length, SIGN_VALUES);
}

/** `values` as `topksign` with a top fraction `fraction`; `decoded` is what every receiver decodes. */
export function encodeTopksign(values: Float32Array, fraction: number): EncodedDense {
  const topCount = topkCount(values.length, fraction);
  const top = selectTopIndices(values, topCount);
  const gaps = gapsOf(top);
  const parameter = cheapestRiceParameter(gaps);
  const seed = seedOf(values);
  const threshold = Math.min(0xffffffff, Math.round(Math.min(1, fraction * COVERAGE_PER_TOP) * 2 ** 32));
  const marks = new Uint8Array(values.length);
  for (const index of top) marks[index] = 1;
  const sample = indicesMarked(marks, 2, markSample(marks, seed, threshold));

  const scalesAt = FIXED_BYTES + Math.ceil(riceBits(gaps, parameter) / 8);
  const signsAt = scalesAt + (blockCount(topCount) + blockCount(sample.length)) * 4;
  const payload = new Uint8Array(scalesAt + tailBytes(topCount, sample.length));
  const view = new DataView(payload.buffer);
  writeHeader(view, 'topksign', values.length);
  view.setUint32(HEADER_BYTES, topCount, true);
  view.setUint8(HEADER_BYTES + 4, parameter);
  view.setUint32(SEED_AT, seed, true);
  view.setUint32(THRESHOLD_AT, threshold, true);
  writeRice(new BitWriter(payload, FIXED_BYTES), gaps, parameter);
  const decoded = new Float32Array(values.length);
  const signs = new BitWriter(payload, signsAt);
  writeKeptValues(values, top, SIGN_VALUES, view, scalesAt, signs, decoded);
  writeKeptValues(values, sample, SIGN_VALUES, view, scalesAt + blockCount(topCount) * 4, signs, decoded);
  return { payload, decoded };
}

export function decodeTopksign(payload: Uint8Array, expectedLength: number): Float32Array {
  const { view, count: topCount, parameter } = readSparsePrefix(payload, 'topksign', FIXED_BYTES, expectedLength);
  const seed = view.getUint32(SEED_AT, true);
  if (seed === 0) throw new CodecError('topksign seed is 0, which no encoder writes (xorshift would stay at 0)', seed);
  const threshold = view.getUint32(THRESHOLD_AT, true);
  // Bounds before any allocation: the Rice stream's least and most bytes, then the smallest tail.
  const smallest = FIXED_BYTES + Math.ceil((topCount * (1 + parameter)) / 8) + tailBytes(topCount, 0);
  const largest = FIXED_BYTES + Math.ceil(maxRiceBits(topCount, expectedLength, parameter) / 8) + tailBytes(topCount, expectedLength - topCount);
  if (payload.byteLength < smallest || payload.byteLength > largest) {
    throw new CodecError(`topksign payload of ${topCount} top coordinates cannot be ${payload.byteLength} bytes long`, payload.byteLength);
  }

  const marks = new Uint8Array(expectedLength);
  const top = new Uint32Array(topCount);
  const reader = new BitReader(payload, FIXED_BYTES, payload.byteLength);
  let previous = -1;
  for (let i = 0; i < topCount; i++) {
    previous = readRiceIndex(reader, previous, parameter, expectedLength, 'topksign');
    top[i] = previous;
    marks[previous] = 1;
  }
  const riceEnd = reader.finish();
  if (!riceEnd.cleanPadding) throw new CodecError('topksign payload has non-zero padding after its last index', riceEnd.offset);
  const sample = indicesMarked(marks, 2, markSample(marks, seed, threshold));
  const scalesAt = riceEnd.offset;
  const expected = scalesAt + tailBytes(topCount, sample.length);
  if (payload.byteLength !== expected) {
    throw new CodecError(`topksign payload of ${topCount} top and ${sample.length} sampled coordinates must be ${expected} bytes, got ${payload.byteLength}`, payload.byteLength);
  }

  const out = new Float32Array(expectedLength);
  const signsAt = scalesAt + (blockCount(topCount) + blockCount(sample.length)) * 4;
  const signs = new BitReader(payload, signsAt, payload.byteLength);
  const readPart = (indices: Uint32Array, partScalesAt: number): void => {
    for (let i = 0; i < indices.length; i++) {
      const scale = view.getFloat32(partScalesAt + Math.floor(i / QUANT_BLOCK) * 4, true);
      out[indices[i]] = SIGN_VALUES.dequantise(signs.read(), scale);
    }
  };
  readPart(top, scalesAt);
  readPart(sample, scalesAt + blockCount(topCount) * 4);
  if (!signs.finish().cleanPadding) throw new CodecError('topksign payload has non-zero padding after its last sign', payload.byteLength);
  return out;
}
