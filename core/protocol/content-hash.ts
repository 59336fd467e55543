import { createHash } from 'node:crypto';
import type { Hex } from 'viem';

/**
 * The content address of bytes on the wire: update payload digests and blob hashes. SHA-256 from
 * node:crypto (native) rather than keccak256 because every receiver hashes every payload before
 * forwarding it: keccak in JavaScript costs ~50 ms per 256 KiB here, SHA-256 under 1 ms.
 * (Model hashes stay keccak256 of the canonical weights; they are computed once per round.)
 */
export function contentHash(bytes: Uint8Array): Hex {
  return `0x${createHash('sha256').update(bytes).digest('hex')}`;
}
