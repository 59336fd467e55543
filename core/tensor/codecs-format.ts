import { CODEC_IDS, type CodecId } from '../defaults/index.ts';
import { TensorError } from './errors.ts';

export { CODEC_IDS, type CodecId };

/** A payload that cannot be encoded or decoded as asked: wrong codec tag, size, or count. */
export class CodecError extends TensorError {
  constructor(message: string, value: unknown) {
    super('CODEC_INVALID', message, { value });
  }
}

export function isCodecId(value: unknown): value is CodecId {
  return typeof value === 'string' && (CODEC_IDS as readonly string[]).includes(value);
}

/**
 * Every payload starts with a codec tag byte and the element count (u32 little endian), so a
 * payload decoded under the wrong codec or for the wrong model fails before any allocation.
 */
export const HEADER_BYTES = 5;
/** Values quantised to int8 share one float32 scale per block of this many values. */
export const QUANT_BLOCK = 256;

const CODEC_TAGS: Record<CodecId, number> = { fp32: 1, fp16: 2, int8: 3, topk: 4, topksign: 5 };

export function writeHeader(view: DataView, codec: CodecId, length: number): void {
  view.setUint8(0, CODEC_TAGS[codec]);
  view.setUint32(1, length, true);
}

/** Checks the tag and the declared element count against what the caller expects. */
export function readHeader(payload: Uint8Array, codec: CodecId, expectedLength: number): DataView {
  if (payload.byteLength < HEADER_BYTES) {
    throw new CodecError(`a ${codec} payload needs at least ${HEADER_BYTES} header bytes, got ${payload.byteLength}`, payload.byteLength);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const tag = view.getUint8(0);
  if (tag !== CODEC_TAGS[codec]) {
    throw new CodecError(`payload tag ${tag} is not the ${codec} tag ${CODEC_TAGS[codec]}; decode it with the codec it was encoded with`, tag);
  }
  const length = view.getUint32(1, true);
  if (length !== expectedLength) {
    throw new CodecError(`payload declares ${length} elements but the model has ${expectedLength}; it was made for another model`, length);
  }
  return view;
}

export function expectPayloadBytes(codec: CodecId, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new CodecError(`a ${codec} payload of this length must be ${expected} bytes, got ${actual}`, actual);
  }
}

export function blockCount(values: number): number {
  return Math.ceil(values / QUANT_BLOCK);
}

/**
 * Quantises `values[i]` for i in [from, to) with one symmetric int8 scale; writes the codes to
 * `codes` at `codeOffset` and returns the scale. `dequantised` receives code × scale, which the
 * encoder needs for error feedback.
 */
export function quantiseBlock(
  values: ArrayLike<number>,
  from: number,
  to: number,
  codes: Int8Array,
  codeOffset: number,
  dequantised: Float32Array,
): number {
  let maxAbs = 0;
  for (let i = from; i < to; i++) maxAbs = Math.max(maxAbs, Math.abs(values[i]));
  const scale = Math.fround(maxAbs / 127);
  for (let i = from; i < to; i++) {
    const code = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(values[i] / scale)));
    codes[codeOffset + i - from] = code;
    dequantised[i - from] = code * scale;
  }
  return scale;
}
