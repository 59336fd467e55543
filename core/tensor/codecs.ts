import { defaultFractionOf } from '../defaults/index.ts';
import { CODEC_IDS, HEADER_BYTES, CodecError, isCodecId, type CodecId } from './codecs-format.ts';
import {
  decodeFp16,
  decodeFp32,
  decodeInt8,
  encodeFp16,
  encodeFp32,
  encodeInt8,
  int8PayloadBytes,
  type EncodedDense,
} from './codecs-dense.ts';
import { decodeTopk, encodeTopk, topkMaxPayloadBytes, type SparseCodecId } from './codecs-topk.ts';
import { decodeTopksign, encodeTopksign, topksignMaxPayloadBytes } from './codecs-topksign.ts';

export { CODEC_IDS, CodecError, isCodecId, type CodecId } from './codecs-format.ts';
export type { SparseCodecId } from './codecs-topk.ts';

/** Whether `codec` sends a top-k selection, and so takes the kept fraction `k` (topk, topksign). */
export function isSparseCodec(codec: CodecId): codec is SparseCodecId {
  return codec === 'topk' || codec === 'topksign';
}

export interface EncodeOptions {
  /**
   * Error feedback: what earlier rounds failed to transmit. It is added to `delta` before
   * encoding, and the new residual (what this payload fails to carry) is returned. `delta` must
   * then be measured from errorFeedbackStart(base, residual), not from the base model.
   */
  residual?: Float32Array;
  /** Sparse codecs only (topk, topksign): fraction of coordinates to keep, in (0, 1]; the codec's own default (defaultFractionOf) if absent. */
  k?: number;
}

export interface EncodedDelta {
  payload: Uint8Array;
  /** The part of delta (+ residual) the payload does not carry; undefined for the lossless fp32. */
  residual?: Float32Array;
}

/**
 * Where a peer's local training starts under error feedback: the round's base model plus the
 * residual. A DiLoCo delta is a displacement, and the coordinates a payload left out did not move
 * the global model; training from the bare base model would learn them again while the residual
 * re-adds them, so they would count twice (and outer momentum amplifies the overshoot). Starting
 * from base + residual, the local model keeps what it has not sent yet, and delta + residual is
 * exactly its displacement from the base model. Returns `base` itself when there is no residual.
 */
export function errorFeedbackStart(base: Float32Array, residual: Float32Array | undefined): Float32Array {
  if (residual === undefined) return base;
  if (!(residual instanceof Float32Array) || residual.length !== base.length) {
    throw new CodecError(`residual must be a Float32Array of ${base.length} elements like the model; drop a residual kept for another model`, residual?.length);
  }
  const start = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) start[i] = base[i] + residual[i];
  return start;
}

function assertCodec(codec: unknown): asserts codec is CodecId {
  if (!isCodecId(codec)) {
    throw new CodecError(`unknown codec ${JSON.stringify(codec)}; use one of ${CODEC_IDS.join(', ')}`, codec);
  }
}

/** Compresses a pseudo-gradient for the wire. Refuses non-finite input: NaN would poison every receiver. */
export function encodeDelta(codec: CodecId, delta: Float32Array, options: EncodeOptions = {}): EncodedDelta {
  assertCodec(codec);
  if (!(delta instanceof Float32Array)) throw new CodecError('delta must be a Float32Array', delta);
  if (!isSparseCodec(codec) && options.k !== undefined) {
    throw new CodecError(`option k applies to the sparse codecs (topk, topksign) only, not ${codec}`, options.k);
  }
  let corrected = delta;
  if (options.residual !== undefined) {
    if (!(options.residual instanceof Float32Array) || options.residual.length !== delta.length) {
      throw new CodecError(
        `residual must be a Float32Array of ${delta.length} elements like delta; pass the residual the previous encode returned`,
        options.residual?.length,
      );
    }
    corrected = new Float32Array(delta.length);
    for (let i = 0; i < delta.length; i++) corrected[i] = delta[i] + options.residual[i];
  }
  for (let i = 0; i < corrected.length; i++) {
    if (!Number.isFinite(corrected[i])) {
      throw new CodecError(`delta[${i}] is ${corrected[i]}; local training diverged — lower the learning rate`, i);
    }
  }
  const encoded = encodeWith(codec, corrected, options.k);
  if (codec === 'fp32') return { payload: encoded.payload };
  const residual = new Float32Array(corrected.length);
  for (let i = 0; i < corrected.length; i++) residual[i] = corrected[i] - encoded.decoded[i];
  return { payload: encoded.payload, residual };
}

function encodeWith(codec: CodecId, values: Float32Array, fraction: number | undefined): EncodedDense {
  switch (codec) {
    case 'fp32':
      return encodeFp32(values);
    case 'fp16':
      return encodeFp16(values);
    case 'int8':
      return encodeInt8(values);
    case 'topk':
      return encodeTopk(values, fraction ?? defaultFractionOf('topk'));
    case 'topksign':
      return encodeTopksign(values, fraction ?? defaultFractionOf('topksign'));
  }
}

/**
 * Decodes a payload for a model of `expectedLength` parameters. The header, the declared counts
 * and the byte length are checked before the output is allocated; values are not checked for
 * finiteness here (the update validator does that and names the offence).
 */
export function decodeDelta(codec: CodecId, payload: Uint8Array, expectedLength: number): Float32Array {
  assertCodec(codec);
  if (!(payload instanceof Uint8Array)) throw new CodecError('payload must be a Uint8Array', payload);
  if (!Number.isSafeInteger(expectedLength) || expectedLength < 0 || expectedLength > 0xffffffff) {
    throw new CodecError(`expected length must be a non-negative 32-bit integer, got ${expectedLength}`, expectedLength);
  }
  switch (codec) {
    case 'fp32':
      return decodeFp32(payload, expectedLength);
    case 'fp16':
      return decodeFp16(payload, expectedLength);
    case 'int8':
      return decodeInt8(payload, expectedLength);
    case 'topk':
      return decodeTopk(payload, expectedLength);
    case 'topksign':
      return decodeTopksign(payload, expectedLength);
  }
}

/** Largest payload any valid encoding of a `length`-element vector can have: a size bound for receivers. */
export function maxPayloadBytes(codec: CodecId, length: number): number {
  assertCodec(codec);
  switch (codec) {
    case 'fp32':
      return HEADER_BYTES + length * 4;
    case 'fp16':
      return HEADER_BYTES + length * 2;
    case 'int8':
      return int8PayloadBytes(length);
    case 'topk':
      return topkMaxPayloadBytes(length);
    case 'topksign':
      return topksignMaxPayloadBytes(length);
  }
}

/** Element count a payload's header declares, or undefined if it is too short to have a header. */
export function payloadElementCount(payload: Uint8Array): number | undefined {
  if (payload.byteLength < HEADER_BYTES) return undefined;
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(1, true);
}
