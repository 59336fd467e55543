import { GradnetError } from '../errors.ts';

/** Root of the errors raised by core/p2p (the libp2p node, gossip, blob exchange). */
export class P2PError extends GradnetError {
  constructor(code: string, message: string, value: unknown, options?: { cause?: unknown }) {
    super(code, message, { ...options, value });
  }
}

/** Node options that cannot work: bad listen or bootstrap address, bad key, bad limits. */
export class P2PConfigError extends P2PError {
  constructor(message: string, value: unknown, options?: { cause?: unknown }) {
    super('P2P_CONFIG', message, value, options);
  }
}

/** A call that needs a running node was made before `start()` or after `stop()`. */
export class NodeNotRunningError extends P2PError {
  constructor(operation: string) {
    super('P2P_NOT_RUNNING', `cannot ${operation}: the gradnet node is not running; call start() first`, operation);
  }
}

/** Why a blob could not be had from one peer. */
export type BlobFailure = 'not_found' | 'too_large' | 'busy' | 'bad_request' | 'hash_mismatch' | 'protocol' | 'timeout' | 'unreachable';

/** No peer delivered the blob; `attempts` says what each peer answered. */
export class BlobFetchError extends P2PError {
  readonly attempts: readonly { peer: string; failure: BlobFailure; detail: string }[];

  constructor(hash: string, attempts: readonly { peer: string; failure: BlobFailure; detail: string }[]) {
    const summary = attempts.length === 0 ? 'no connected peer to ask' : attempts.map((a) => `${a.peer.slice(-8)}: ${a.failure}`).join(', ');
    super('P2P_BLOB_FETCH', `could not fetch blob ${hash} (${summary}); check that a peer that announced it is connected`, hash);
    this.attempts = attempts;
  }
}

/** A message that could not be published (too large even as a blob reference, or not encodable). */
export class PublishError extends P2PError {
  constructor(message: string, value: unknown, options?: { cause?: unknown }) {
    super('P2P_PUBLISH', message, value, options);
  }
}
