import { concatBytes, hexToBytes, keccak256 } from 'viem';
import { float32ToLittleEndian, type Checkpoint } from '../../../core/tensor/index.ts';

/**
 * What a dishonest blob server sends: a well-formed checkpoint file (magic, header, tensors and a
 * valid integrity digest) that claims `original.modelHash` but carries other momentum or meta.
 */
export function forgeCheckpoint(original: Checkpoint, changes: Partial<Pick<Checkpoint, 'params' | 'momentum' | 'meta'>>): Uint8Array {
  const forged = { ...original, ...changes };
  const header = new TextEncoder().encode(
    JSON.stringify({ modelHash: original.modelHash, layout: forged.layout, meta: forged.meta, paramCount: forged.params.length, hasMomentum: forged.momentum !== undefined }),
  );
  const headerLength = new Uint8Array(4);
  new DataView(headerLength.buffer).setUint32(0, header.length, true);
  const body = concatBytes([
    new TextEncoder().encode('GNCKPT01'),
    headerLength,
    header,
    float32ToLittleEndian(forged.params),
    ...(forged.momentum ? [float32ToLittleEndian(forged.momentum)] : []),
  ]);
  return concatBytes([body, hexToBytes(keccak256(body))]);
}
