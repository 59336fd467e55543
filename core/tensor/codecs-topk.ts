import { CodecError, HEADER_BYTES, QUANT_BLOCK, blockCount, readHeader, writeHeader, type CodecId } from './codecs-format.ts';
import type { EncodedDense } from './codecs-dense.ts';

/**
 * Top-k sparsification, packed for size: what an update costs per kept coordinate decides how
 * many coordinates a byte budget buys, and a denser update loses less accuracy. This file holds
 * `topk` and what the sparse codecs share (selection, Rice-coded indices, bit streams, value codes);
 * codecs-topksign.ts holds `topksign`.
 *
 * - `topk` values: sign and a 3-bit magnitude level m, decoded as (m + 1) × scale, with one
 *   float32 scale (max |value| / 8) per block of QUANT_BLOCK kept values. Every kept value is among
 *   the largest, so no level is spent on zero.
 * - Indices: the gaps between consecutive kept indices (minus one), Golomb–Rice coded with the
 *   parameter the encoder finds cheapest for this vector: about log2(1/k) + 1.5 bits per index
 *   (within a few percent of the entropy of k-sparse positions) instead of a byte or more.
 *
 * `topk` layout: header | u32 count | u8 rice parameter | f32 scale × ceil(count / QUANT_BLOCK)
 *         | values, 4 bits each, LSB first, padded to a byte | Rice bit stream, padded to a byte.
 * Encoding is deterministic (the selection breaks ties by index, the scales are summed in index
 * order), so the same delta always gives the same bytes and every receiver the same floats.
 */
export type SparseCodecId = Extract<CodecId, 'topk' | 'topksign'>;

/** How a kept value is coded: its bits, its block's scale, its code and what the code decodes to. */
export interface ValueCode {
  readonly bits: number;
  /** The block's float32 scale from its kept magnitudes, in index order. */
  scale(magnitudes: ArrayLike<number>): number;
  /** The code of one kept value (sign in the top bit) and what it decodes to. */
  quantise(value: number, scale: number): number;
  dequantise(code: number, scale: number): number;
}

const MAGNITUDE_LEVELS = 8;

/** topk: sign and a 3-bit level, (m + 1) × scale with scale = max |value| / 8. */
const TOPK_VALUES: ValueCode = {
  bits: 4,
  scale: (magnitudes) => {
    let maxAbs = 0;
    for (let i = 0; i < magnitudes.length; i++) maxAbs = Math.max(maxAbs, magnitudes[i]);
    return Math.fround(maxAbs / MAGNITUDE_LEVELS);
  },
  quantise: (value, scale) => {
    const level = scale === 0 ? 0 : Math.max(0, Math.min(MAGNITUDE_LEVELS - 1, Math.round(Math.abs(value) / scale) - 1));
    return (value < 0 ? MAGNITUDE_LEVELS : 0) + level;
  },
  dequantise: (code, scale) => Math.fround((code >= MAGNITUDE_LEVELS ? -1 : 1) * ((code % MAGNITUDE_LEVELS) + 1) * scale),
};

/**
 * The sign alone (1 bit), decoded as ± scale, with scale the mean |value| of the block's kept
 * values (the one level that minimises the squared error given the signs).
 */
export const SIGN_VALUES: ValueCode = {
  bits: 1,
  scale: (magnitudes) => {
    let sum = 0;
    for (let i = 0; i < magnitudes.length; i++) sum += magnitudes[i];
    return Math.fround(sum / magnitudes.length);
  },
  quantise: (value) => (value < 0 ? 1 : 0),
  dequantise: (code, scale) => (code === 1 ? -scale : scale),
};

const COUNT_BYTES = 4;
const RICE_PARAMETER_BYTES = 1;
const FIXED_BYTES = HEADER_BYTES + COUNT_BYTES + RICE_PARAMETER_BYTES;
/** Gaps are below 2^32, so a larger parameter never pays. */
export const MAX_RICE_PARAMETER = 31;

export function valueBytes(count: number, code: ValueCode): number {
  return Math.ceil((count * code.bits) / 8);
}

/** Most bits the Rice stream of `count` gaps can take in a `length`-element vector: unary parts sum to at most length >> r. */
export function maxRiceBits(count: number, length: number, parameter: number): number {
  return count * (1 + parameter) + Math.floor(length / 2 ** parameter);
}

/** Most bytes a Rice stream of at most `length` indices into a `length`-element vector can take. */
export function maxRiceBytes(length: number): number {
  let largest = 0;
  for (let parameter = 0; parameter <= MAX_RICE_PARAMETER; parameter++) largest = Math.max(largest, maxRiceBits(length, length, parameter));
  return Math.ceil(largest / 8);
}

export function topkMaxPayloadBytes(length: number): number {
  return FIXED_BYTES + blockCount(length) * 4 + valueBytes(length, TOPK_VALUES) + maxRiceBytes(length);
}

/** Number of coordinates a fraction k of `length` selects: at least one, at most all. */
export function topkCount(length: number, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new CodecError(`topk fraction k must be in (0, 1], got ${fraction}; 0.01 keeps 1% of the coordinates`, fraction);
  }
  return Math.min(length, Math.max(1, Math.round(length * fraction)));
}

/** The count-th largest |value|, found in O(n) by quickselect on a scratch copy. */
function magnitudeThreshold(values: Float32Array, count: number): number {
  const magnitudes = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) magnitudes[i] = Math.abs(values[i]);
  const target = values.length - count; // the threshold sits here in ascending order
  let left = 0;
  let right = magnitudes.length - 1;
  while (left < right) {
    const middle = (left + right) >>> 1;
    const pivot = medianOfThree(magnitudes[left], magnitudes[middle], magnitudes[right]);
    let i = left;
    let j = right;
    while (i <= j) {
      while (magnitudes[i] < pivot) i++;
      while (magnitudes[j] > pivot) j--;
      if (i <= j) {
        const swap = magnitudes[i];
        magnitudes[i] = magnitudes[j];
        magnitudes[j] = swap;
        i++;
        j--;
      }
    }
    if (target <= j) right = j;
    else if (target >= i) left = i;
    else break;
  }
  return magnitudes[target];
}

function medianOfThree(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** Indices of the `count` largest magnitudes, ascending; ties at the threshold taken in index order. */
export function selectTopIndices(values: Float32Array, count: number): Uint32Array {
  const threshold = magnitudeThreshold(values, count);
  let above = 0;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) > threshold) above++;
  let tiesAllowed = count - above;
  const indices = new Uint32Array(count);
  let next = 0;
  for (let i = 0; i < values.length && next < count; i++) {
    const magnitude = Math.abs(values[i]);
    if (magnitude > threshold || (magnitude === threshold && tiesAllowed-- > 0)) indices[next++] = i;
  }
  return indices;
}


/** Bits the Rice code of `gaps` takes with parameter r. */
export function riceBits(gaps: Uint32Array, parameter: number): number {
  let bits = gaps.length * (1 + parameter);
  for (const gap of gaps) bits += Math.floor(gap / 2 ** parameter);
  return bits;
}

export function cheapestRiceParameter(gaps: Uint32Array): number {
  let best = 0;
  let bestBits = Infinity;
  for (let parameter = 0; parameter <= MAX_RICE_PARAMETER; parameter++) {
    const bits = riceBits(gaps, parameter);
    if (bits < bestBits) {
      best = parameter;
      bestBits = bits;
    }
  }
  return best;
}

/** Writes bits LSB first into a byte array. */
export class BitWriter {
  private bit = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private offset: number,
  ) {}

  write(value: number, width: number): void {
    for (let i = 0; i < width; i++) {
      if (Math.floor(value / 2 ** i) % 2 === 1) this.bytes[this.offset] |= 1 << this.bit;
      this.advance();
    }
  }

  writeUnary(ones: number): void {
    for (let i = 0; i < ones; i++) {
      this.bytes[this.offset] |= 1 << this.bit;
      this.advance();
    }
    this.advance();
  }

  private advance(): void {
    if (++this.bit === 8) {
      this.bit = 0;
      this.offset++;
    }
  }
}

/** Reads bits LSB first, refusing to read past `end`. */
export class BitReader {
  private bit = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private offset: number,
    private readonly end: number,
  ) {}

  read(): number {
    if (this.offset >= this.end) throw new CodecError(`payload ends inside its bit stream at byte ${this.offset}; it was truncated or forged`, this.offset);
    const value = (this.bytes[this.offset] >>> this.bit) & 1;
    if (++this.bit === 8) {
      this.bit = 0;
      this.offset++;
    }
    return value;
  }

  readBits(width: number): number {
    let value = 0;
    for (let i = 0; i < width; i++) value += this.read() * 2 ** i;
    return value;
  }

  /** Byte offset after the current byte, and whether the unread bits of that byte are zero padding. */
  finish(): { offset: number; cleanPadding: boolean } {
    if (this.bit === 0) return { offset: this.offset, cleanPadding: true };
    return { offset: this.offset + 1, cleanPadding: this.bytes[this.offset] >>> this.bit === 0 };
  }
}

/** Gaps between consecutive ascending indices, minus one (the first is the first index). */
export function gapsOf(indices: Uint32Array): Uint32Array {
  const gaps = new Uint32Array(indices.length);
  for (let i = 0; i < indices.length; i++) gaps[i] = i === 0 ? indices[0] : indices[i] - indices[i - 1] - 1;
  return gaps;
}

export function writeRice(writer: BitWriter, gaps: Uint32Array, parameter: number): void {
  const divisor = 2 ** parameter;
  for (const gap of gaps) {
    writer.writeUnary(Math.floor(gap / divisor));
    writer.write(gap % divisor, parameter);
  }
}

/** The index after `previous` read from a Rice stream, refused if it leaves a `length`-element vector. */
export function readRiceIndex(reader: BitReader, previous: number, parameter: number, length: number, codec: CodecId): number {
  const divisor = 2 ** parameter;
  let quotient = 0;
  while (reader.read() === 1) {
    quotient++;
    if (quotient * divisor >= length) throw new CodecError(`${codec} index after ${previous} has a gap beyond the ${length}-element vector`, quotient);
  }
  const index = previous + 1 + quotient * divisor + reader.readBits(parameter);
  if (index >= length) throw new CodecError(`${codec} index ${index} is outside a ${length}-element vector`, index);
  return index;
}

/**
 * Codes `values[indices[i]]` in blocks of QUANT_BLOCK: each block's float32 scale goes to `view`
 * from `scalesAt`, each value's code to `writer`; `decoded` receives what a receiver decodes.
 */
export function writeKeptValues(
  values: Float32Array,
  indices: ArrayLike<number>,
  code: ValueCode,
  view: DataView,
  scalesAt: number,
  writer: BitWriter,
  decoded: Float32Array,
): void {
  const magnitudes = new Float64Array(QUANT_BLOCK);
  for (let from = 0; from < indices.length; from += QUANT_BLOCK) {
    const to = Math.min(indices.length, from + QUANT_BLOCK);
    for (let i = from; i < to; i++) magnitudes[i - from] = Math.abs(values[indices[i]]);
    const scale = code.scale(magnitudes.subarray(0, to - from));
    view.setFloat32(scalesAt + (from / QUANT_BLOCK) * 4, scale, true);
    for (let i = from; i < to; i++) {
      const valueCode = code.quantise(values[indices[i]], scale);
      writer.write(valueCode, code.bits);
      decoded[indices[i]] = code.dequantise(valueCode, scale);
    }
  }
}

/** Top-k of `values` as `topk`; `decoded` is what every receiver will decode, for error feedback. */
export function encodeTopk(values: Float32Array, fraction: number): EncodedDense {
  const count = topkCount(values.length, fraction);
  const indices = selectTopIndices(values, count);
  const gaps = gapsOf(indices);
  const parameter = cheapestRiceParameter(gaps);
  const valuesAt = FIXED_BYTES + blockCount(count) * 4;
  const indicesAt = valuesAt + valueBytes(count, TOPK_VALUES);
  const payload = new Uint8Array(indicesAt + Math.ceil(riceBits(gaps, parameter) / 8));
  const view = new DataView(payload.buffer);
  writeHeader(view, 'topk', values.length);
  view.setUint32(HEADER_BYTES, count, true);
  view.setUint8(HEADER_BYTES + COUNT_BYTES, parameter);
  const decoded = new Float32Array(values.length);
  writeKeptValues(values, indices, TOPK_VALUES, view, FIXED_BYTES, new BitWriter(payload, valuesAt), decoded);
  writeRice(new BitWriter(payload, indicesAt), gaps, parameter);
  return { payload, decoded };
}

/**
 * Reads what every sparse payload starts with (header, u32 count, u8 Rice parameter) and checks it
 * against the vector: `fixedBytes` is how long the codec's fixed part is.
 */
export function readSparsePrefix(
  payload: Uint8Array,
  codec: SparseCodecId,
  fixedBytes: number,
  expectedLength: number,
): { view: DataView; count: number; parameter: number } {
  const view = readHeader(payload, codec, expectedLength);
  if (payload.byteLength < fixedBytes) {
    throw new CodecError(`a ${codec} payload needs ${fixedBytes} bytes before its coordinates, got ${payload.byteLength}`, payload.byteLength);
  }
  const count = view.getUint32(HEADER_BYTES, true);
  if (count > expectedLength) {
    throw new CodecError(`${codec} payload selects ${count} coordinates of a ${expectedLength}-element vector`, count);
  }
  const parameter = view.getUint8(HEADER_BYTES + COUNT_BYTES);
  if (parameter > MAX_RICE_PARAMETER) {
    throw new CodecError(`${codec} Rice parameter ${parameter} is above ${MAX_RICE_PARAMETER}`, parameter);
  }
  return { view, count, parameter };
}

export function decodeTopk(payload: Uint8Array, expectedLength: number): Float32Array {
  const { view, count, parameter } = readSparsePrefix(payload, 'topk', FIXED_BYTES, expectedLength);
  const valuesAt = FIXED_BYTES + blockCount(count) * 4;
  const indicesAt = valuesAt + valueBytes(count, TOPK_VALUES);
  // Each gap costs at least 1 + r bits; their unary parts cannot add up beyond the vector.
  const smallest = indicesAt + Math.ceil((count * (1 + parameter)) / 8);
  const largest = indicesAt + Math.ceil(maxRiceBits(count, expectedLength, parameter) / 8);
  if (payload.byteLength < smallest || payload.byteLength > largest) {
    throw new CodecError(`topk payload of ${count} coordinates cannot be ${payload.byteLength} bytes long`, payload.byteLength);
  }
  const out = new Float32Array(expectedLength);
  const valueReader = new BitReader(payload, valuesAt, indicesAt);
  const indexReader = new BitReader(payload, indicesAt, payload.byteLength);
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const index = readRiceIndex(indexReader, previous, parameter, expectedLength, 'topk');
    const scale = view.getFloat32(FIXED_BYTES + Math.floor(i / QUANT_BLOCK) * 4, true);
    out[index] = TOPK_VALUES.dequantise(valueReader.readBits(TOPK_VALUES.bits), scale);
    previous = index;
  }
  const end = indexReader.finish();
  if (end.offset !== payload.byteLength || !end.cleanPadding) {
    throw new CodecError(`topk payload has ${payload.byteLength - end.offset} trailing bytes or non-zero padding after its last index`, payload.byteLength - end.offset);
  }
  return out;
}
