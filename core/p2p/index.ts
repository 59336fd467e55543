/**
 * The libp2p node every peer and the coordinator run: gossip with core/protocol's validation in
 * front of it, and the blob exchange that carries payloads too large to gossip inline.
 */
export { P2PError, P2PConfigError, NodeNotRunningError, BlobFetchError, PublishError, type BlobFailure } from './errors.ts';
export { type BlobSource, MemoryBlobStore } from './blob-store.ts';
export { BLOB_PROTOCOL, BlobExchange, type BlobExchangeOptions, type FetchBlobOptions } from './blob-exchange.ts';
export { type MeshOptions } from './mesh.ts';
export {
  type GradnetNodeOptions,
  type GradnetNodeEvents,
  type UpdateEvent,
  type CommitmentEvent,
  type RefusedEvent,
  type PublishResult,
  type SignalOption,
  type FetchedBlob,
  GradnetNode,
  createGradnetNode,
} from './node.ts';
