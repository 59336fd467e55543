import {
  CodecError,
  HEADER_BYTES,
  QUANT_BLOCK,
  blockCount,
  quantiseBlock,
  readHeader,
  writeHeader,
} from './codecs-format.ts';
import type { EncodedDense } from './codecs-dense.ts';

/**
 * Top-k sparsification: the k largest-magnitude coordinates, their values quantised to int8 with
 * one scale per block of QUANT_BLOCK selected values, their indices as LEB128 varints of the gap
 * to the previous index minus one (so the indices are strictly increasing by construction).
 *
 * Layout: header | u32 count | f32 scale × ceil(count / QUANT_BLOCK) | int8 × count | varints.
 */
const COUNT_BYTES = 4;
const MAX_VARINT_BYTES = 5;

export function topkMaxPayloadBytes(length: number): number {
  return HEADER_BYTES + COUNT_BYTES + blockCount(length) * 4 + length * (1 + MAX_VARINT_BYTES);
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
function selectTopIndices(values: Float32Array, count: number): Uint32Array {
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

function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

export function encodeTopk(values: Float32Array, fraction: number): EncodedDense {
  const count = topkCount(values.length, fraction);
  const indices = selectTopIndices(values, count);
  const blocks = blockCount(count);
  let indexBytes = 0;
  for (let i = 0; i < count; i++) indexBytes += varintBytes(i === 0 ? indices[0] : indices[i] - indices[i - 1] - 1);

  const fixed = HEADER_BYTES + COUNT_BYTES + blocks * 4;
  const payload = new Uint8Array(fixed + count + indexBytes);
  const view = new DataView(payload.buffer);
  writeHeader(view, 'topk', values.length);
  view.setUint32(HEADER_BYTES, count, true);

  const selected = new Float32Array(count);
  for (let i = 0; i < count; i++) selected[i] = values[indices[i]];
  const codes = new Int8Array(payload.buffer, fixed, count);
  const dequantised = new Float32Array(count);
  for (let block = 0; block < blocks; block++) {
    const from = block * QUANT_BLOCK;
    const to = Math.min(count, from + QUANT_BLOCK);
    const scale = quantiseBlock(selected, from, to, codes, from, dequantised.subarray(from, to));
    view.setFloat32(HEADER_BYTES + COUNT_BYTES + block * 4, scale, true);
  }

  let offset = fixed + count;
  for (let i = 0; i < count; i++) {
    let gap = i === 0 ? indices[0] : indices[i] - indices[i - 1] - 1;
    while (gap >= 0x80) {
      payload[offset++] = (gap & 0x7f) | 0x80;
      gap = Math.floor(gap / 128);
    }
    payload[offset++] = gap;
  }

  const decoded = new Float32Array(values.length);
  for (let i = 0; i < count; i++) decoded[indices[i]] = dequantised[i];
  return { payload, decoded };
}

export function decodeTopk(payload: Uint8Array, expectedLength: number): Float32Array {
  const view = readHeader(payload, 'topk', expectedLength);
  if (payload.byteLength < HEADER_BYTES + COUNT_BYTES) {
    throw new CodecError(`a topk payload needs ${HEADER_BYTES + COUNT_BYTES} bytes before its values, got ${payload.byteLength}`, payload.byteLength);
  }
  const count = view.getUint32(HEADER_BYTES, true);
  if (count > expectedLength) {
    throw new CodecError(`topk payload selects ${count} coordinates of a ${expectedLength}-element vector`, count);
  }
  const blocks = blockCount(count);
  const fixed = HEADER_BYTES + COUNT_BYTES + blocks * 4;
  // Every selected coordinate costs one code byte and at least one index byte.
  if (payload.byteLength < fixed + 2 * count || payload.byteLength > fixed + count * (1 + MAX_VARINT_BYTES)) {
    throw new CodecError(`topk payload of ${count} coordinates cannot be ${payload.byteLength} bytes long`, payload.byteLength);
  }
  const codes = new Int8Array(payload.buffer, payload.byteOffset + fixed, count);
  const out = new Float32Array(expectedLength);
  let offset = fixed + count;
  let previous = -1;
  for (let i = 0; i < count; i++) {
    let gap = 0;
    let multiplier = 1;
    for (let byteIndex = 0; ; byteIndex++) {
      if (byteIndex >= MAX_VARINT_BYTES || offset >= payload.byteLength) {
        throw new CodecError(`topk index ${i} is truncated or longer than ${MAX_VARINT_BYTES} bytes at offset ${offset}`, offset);
      }
      const byte = payload[offset++];
      gap += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) === 0) break;
    }
    const index = previous + 1 + gap;
    if (index >= expectedLength) {
      throw new CodecError(`topk index ${index} is outside a ${expectedLength}-element vector`, index);
    }
    const scale = view.getFloat32(HEADER_BYTES + COUNT_BYTES + Math.floor(i / QUANT_BLOCK) * 4, true);
    out[index] = codes[i] * scale;
    previous = index;
  }
  if (offset !== payload.byteLength) {
    throw new CodecError(`topk payload has ${payload.byteLength - offset} trailing bytes after its last index`, payload.byteLength - offset);
  }
  return out;
}
