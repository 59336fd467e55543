import { keccak256, type Hex } from 'viem';
import { assertParameters, validateLayout, type ParameterLayout } from './layout.ts';

/** Domain tag first, so these bytes can never be mistaken for another gradnet encoding. */
const MODEL_ENCODING_TAG = new TextEncoder().encode('gradnet/model/v1');
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
 * The canonical bytes of a model: tag, entry count, then per entry (u32 name length, UTF-8 name,
 * u32 rank, u32 dims), all little-endian, then the float32 values little-endian in layout order.
 */
export function canonicalModelBytes(layout: ParameterLayout, params: Float32Array): Uint8Array {
  validateLayout(layout);
  assertParameters(layout, params);
  const names = layout.map((entry) => new TextEncoder().encode(entry.name));
  const headerSize =
    MODEL_ENCODING_TAG.length + 4 + layout.reduce((size, entry, i) => size + 4 + names[i].length + 4 + 4 * entry.shape.length, 0);
  const bytes = new Uint8Array(headerSize + params.length * 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MODEL_ENCODING_TAG, 0);
  let offset = MODEL_ENCODING_TAG.length;
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

/** keccak256 of the canonical bytes: equal on every peer for equal layout and weights. */
export function modelHash(layout: ParameterLayout, params: Float32Array): Hex {
  return keccak256(canonicalModelBytes(layout, params));
}
