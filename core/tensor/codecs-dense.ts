import { endianness } from 'node:os';
import {
  HEADER_BYTES,
  QUANT_BLOCK,
  blockCount,
  expectPayloadBytes,
  quantiseBlock,
  readHeader,
  writeHeader,
} from './codecs-format.ts';

/**
 * Dense codecs: every coordinate is sent. Each encoder returns the payload and the values the
 * receiver will decode, so that the caller can keep the difference as error feedback.
 */
export interface EncodedDense {
  payload: Uint8Array;
  decoded: Float32Array;
}

/** The wire is little endian; on such hosts (nearly all) float arrays are copied as bytes. */
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

export function encodeFp32(values: Float32Array): EncodedDense {
  const payload = new Uint8Array(HEADER_BYTES + values.length * 4);
  const view = new DataView(payload.buffer);
  writeHeader(view, 'fp32', values.length);
  if (LITTLE_ENDIAN_HOST) payload.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), HEADER_BYTES);
  else for (let i = 0; i < values.length; i++) view.setFloat32(HEADER_BYTES + i * 4, values[i], true);
  return { payload, decoded: values };
}

export function decodeFp32(payload: Uint8Array, expectedLength: number): Float32Array {
  const view = readHeader(payload, 'fp32', expectedLength);
  expectPayloadBytes('fp32', payload.byteLength, HEADER_BYTES + expectedLength * 4);
  const out = new Float32Array(expectedLength);
  if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(payload.subarray(HEADER_BYTES));
  else for (let i = 0; i < expectedLength; i++) out[i] = view.getFloat32(HEADER_BYTES + i * 4, true);
  return out;
}

const FP16_MAX_BITS = 0x7bff; // 65504, the largest finite half

/**
 * float32 bits → IEEE half bits, round to nearest even. Magnitudes beyond the half range
 * saturate to ±65504 instead of becoming infinite: a huge coordinate should still fail the norm
 * bound, not turn into a non-finite value that hides what the sender meant. (Encoders refuse
 * NaN and infinities before they get here.)
 */
export function float32BitsToHalfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  let mantissa = x & 0x7fffff;
  if (exponent >= 0x1f) return sign | FP16_MAX_BITS;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  if (half >= 0x7c00) return sign | FP16_MAX_BITS;
  return sign | half;
}

/** IEEE half bits → float32 bits (exact: every half is a float32). */
export function halfBitsToFloat32Bits(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >>> 10) & 0x1f;
  let mantissa = half & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal half: normalise it into a float32.
  let shift = 0;
  while ((mantissa & 0x400) === 0) {
    mantissa <<= 1;
    shift++;
  }
  return (sign | ((127 - 15 + 1 - shift) << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
}

export function encodeFp16(values: Float32Array): EncodedDense {
  const payload = new Uint8Array(HEADER_BYTES + values.length * 2);
  const view = new DataView(payload.buffer);
  writeHeader(view, 'fp16', values.length);
  const inputBits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const decoded = new Float32Array(values.length);
  const decodedBits = new Uint32Array(decoded.buffer);
  for (let i = 0; i < values.length; i++) {
    const half = float32BitsToHalfBits(inputBits[i]);
    view.setUint16(HEADER_BYTES + i * 2, half, true);
    decodedBits[i] = halfBitsToFloat32Bits(half);
  }
  return { payload, decoded };
}

export function decodeFp16(payload: Uint8Array, expectedLength: number): Float32Array {
  const view = readHeader(payload, 'fp16', expectedLength);
  expectPayloadBytes('fp16', payload.byteLength, HEADER_BYTES + expectedLength * 2);
  const out = new Float32Array(expectedLength);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < expectedLength; i++) outBits[i] = halfBitsToFloat32Bits(view.getUint16(HEADER_BYTES + i * 2, true));
  return out;
}

/** Layout: header, one float32 scale per block of QUANT_BLOCK values, then one int8 code per value. */
export function int8PayloadBytes(length: number): number {
  return HEADER_BYTES + blockCount(length) * 4 + length;
}

export function encodeInt8(values: Float32Array): EncodedDense {
  const blocks = blockCount(values.length);
  const payload = new Uint8Array(int8PayloadBytes(values.length));
  const view = new DataView(payload.buffer);
  writeHeader(view, 'int8', values.length);
  const codes = new Int8Array(payload.buffer, HEADER_BYTES + blocks * 4, values.length);
  const decoded = new Float32Array(values.length);
  for (let block = 0; block < blocks; block++) {
    const from = block * QUANT_BLOCK;
    const to = Math.min(values.length, from + QUANT_BLOCK);
    const scale = quantiseBlock(values, from, to, codes, from, decoded.subarray(from, to));
    view.setFloat32(HEADER_BYTES + block * 4, scale, true);
  }
  return { payload, decoded };
}

export function decodeInt8(payload: Uint8Array, expectedLength: number): Float32Array {
  const view = readHeader(payload, 'int8', expectedLength);
  expectPayloadBytes('int8', payload.byteLength, int8PayloadBytes(expectedLength));
  const blocks = blockCount(expectedLength);
  const codes = new Int8Array(payload.buffer, payload.byteOffset + HEADER_BYTES + blocks * 4, expectedLength);
  const out = new Float32Array(expectedLength);
  for (let block = 0; block < blocks; block++) {
    const scale = view.getFloat32(HEADER_BYTES + block * 4, true);
    const to = Math.min(expectedLength, (block + 1) * QUANT_BLOCK);
    for (let i = block * QUANT_BLOCK; i < to; i++) out[i] = codes[i] * scale;
  }
  return out;
}
