import { hexToBytes, type Hex } from 'viem';

/** Hex as the ArrayBuffer-backed bytes the generated protobuf codecs expect. */
export function wireBytes(hex: Hex): Uint8Array<ArrayBuffer> {
  return new Uint8Array(hexToBytes(hex));
}
