import { concatBytes, hexToBytes, keccak256, type Hex } from 'viem';
import { assertParameters, validateLayout, type ParameterLayout } from './layout.ts';

/** Domain tags first, so these bytes can never be mistaken for another gradnet encoding. */
const WEIGHTS_ENCODING_TAG = new TextEncoder().encode('gradnet/model/v1');
const MODEL_HASH_TAG = new TextEncoder().encode('gradnet/model/v2');

/**
 * Meta fields the model hash leaves out: figures about the model (the coordinator's evaluation,
 * written after the round transition) that nothing reads to train, aggregate or audit. Every other
 * field is committed, so a field that a later version reads is covered without a change here.
 */
export const UNCOMMITTED_META_FIELDS: readonly string[] = ['evaluation'];
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Float32 values as little-endian bytes, whatever the host byte order. */
export function float32ToLittleEndian(values: Float32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

/** Little-endian float32 bytes back to values (copies, so the result is aligned and owned). */
export function float32FromLittleEndian(bytes: Uint8Array): Float32Array {
  const values = new Float32Array(bytes.length / 4);
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(values.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  }
  return values;
}

/**
 * The canonical bytes of a model's weights: tag, entry count, then per entry (u32 name length, UTF-8 name,
 * u32 rank, u32 dims), all little-endian, then the float32 values little-endian in layout order.
 */
export function canonicalWeightsBytes(layout: ParameterLayout, params: Float32Array): Uint8Array {
  validateLayout(layout);
  assertParameters(layout, params);
  const names = layout.map((entry) => new TextEncoder().encode(entry.name));
  const headerSize =
    WEIGHTS_ENCODING_TAG.length + 4 + layout.reduce((size, entry, i) => size + 4 + names[i].length + 4 + 4 * entry.shape.length, 0);
  const bytes = new Uint8Array(headerSize + params.length * 4);
  const view = new DataView(bytes.buffer);
  bytes.set(WEIGHTS_ENCODING_TAG, 0);
  let offset = WEIGHTS_ENCODING_TAG.length;
  view.setUint32(offset, layout.length, true);
  offset += 4;
  layout.forEach((entry, i) => {
    view.setUint32(offset, names[i].length, true);
    bytes.set(names[i], offset + 4);
    offset += 4 + names[i].length;
    view.setUint32(offset, entry.shape.length, true);
    offset += 4;
    for (const dim of entry.shape) {
      view.setUint32(offset, dim, true);
      offset += 4;
    }
  });
  bytes.set(float32ToLittleEndian(params), offset);
  return bytes;
}

/** keccak256 of the canonical weight bytes: one part of the model hash, equal on every peer for equal layout and weights. */
export function weightsHash(layout: ParameterLayout, params: Float32Array): Hex {
  return keccak256(canonicalWeightsBytes(layout, params));
}

/** Everything the next round depends on: weights, the outer optimizer's momentum and the meta. */
export interface ModelHashInput {
  readonly layout: ParameterLayout;
  readonly params: Float32Array;
  readonly momentum?: Float32Array;
  readonly meta: { readonly [field: string]: unknown };
}

/**
 * The hash a checkpoint is named and committed by: keccak256 of tag, weightsHash, a momentum flag
 * byte and keccak256 of the little-endian momentum (zeros when there is none), and keccak256 of
 * the committed meta as canonical JSON (keys sorted, UNCOMMITTED_META_FIELDS left out). A server
 * that alters the momentum or the meta serves bytes that no longer match the hash asked for.
 */
export function modelHash(model: ModelHashInput): Hex {
  const momentum = model.momentum === undefined ? new Uint8Array(32) : hexToBytes(keccak256(float32ToLittleEndian(model.momentum)));
  const committed = Object.fromEntries(Object.entries(model.meta).filter(([field]) => !UNCOMMITTED_META_FIELDS.includes(field)));
  return keccak256(
    concatBytes([
      MODEL_HASH_TAG,
      hexToBytes(weightsHash(model.layout, model.params)),
      Uint8Array.of(model.momentum === undefined ? 0 : 1),
      momentum,
      hexToBytes(keccak256(new TextEncoder().encode(canonicalJson(committed)))),
    ]),
  );
}

/** JSON with object keys sorted at every depth and undefined fields left out, as JSON.stringify drops them. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${fields.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
