import type { Hex } from 'viem';
import { contentHash } from '../protocol/index.ts';

/** Where the blob protocol looks up bytes to serve (e.g. a CheckpointStore). */
export interface BlobSource {
  /** The bytes stored under `hash`, or undefined (or a throw) when there are none. */
  getBytes(hash: Hex, signal?: AbortSignal): Promise<Uint8Array | undefined>;
}

/**
 * In-memory, content-addressed (SHA-256, `contentHash`) blobs: update payloads too large to gossip inline,
 * kept so that this node can serve them on. Bounded by total bytes; the oldest go first.
 */
export class MemoryBlobStore implements BlobSource {
  private readonly blobs = new Map<Hex, Uint8Array>();
  private bytes = 0;

  constructor(private readonly maxBytes = 256 * 1024 * 1024) {}

  /** Stores `bytes` under their content hash (or `hash` when it is a hash of another kind) and returns it. */
  put(bytes: Uint8Array, hash: Hex = contentHash(bytes)): Hex {
    const key = hash.toLowerCase() as Hex;
    if (this.blobs.has(key)) return hash;
    this.blobs.set(key, bytes);
    this.bytes += bytes.byteLength;
    for (const [oldest, blob] of this.blobs) {
      if (this.bytes <= this.maxBytes || oldest === key) break;
      this.blobs.delete(oldest);
      this.bytes -= blob.byteLength;
    }
    return hash;
  }

  async getBytes(hash: Hex): Promise<Uint8Array | undefined> {
    return this.blobs.get(hash.toLowerCase() as Hex);
  }

  has(hash: Hex): boolean {
    return this.blobs.has(hash.toLowerCase() as Hex);
  }

  get size(): number {
    return this.bytes;
  }
}
