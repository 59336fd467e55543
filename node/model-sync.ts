import type { Hex } from 'viem';
import type { Logger } from 'pino';
import type { GradnetNode } from '../core/p2p/index.ts';
import type { Abortable, ModelSource } from '../core/peer/index.ts';
import { errorMessage } from '../core/errors.ts';
import { decodeCheckpoint, TensorError, type Checkpoint, type CheckpointStore } from '../core/tensor/index.ts';

/** Largest checkpoint a node accepts over the blob protocol (the CNN and MLP are far below). */
const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/**
 * Gets the checkpoint `hash`: from the local store, or over `/gradnet/blob/1` from connected
 * peers (coordinator or other nodes). The hash commits to weights, momentum and meta, so each
 * peer's bytes are decoded against it before they are taken: a peer serving a damaged or altered
 * checkpoint is passed over for the next one. A stored file that no longer verifies is dropped
 * and fetched again instead of failing every later read. Every stored checkpoint is also served.
 */
export async function ensureCheckpoint(options: { hash: Hex; store: CheckpointStore; p2p: GradnetNode; logger: Logger; signal?: AbortSignal }): Promise<Checkpoint> {
  const { hash, store, p2p, logger } = options;
  if (await store.has(hash)) {
    try {
      return await store.get(hash);
    } catch (error) {
      if (!(error instanceof TensorError)) throw error;
      logger.warn({ modelHash: hash, err: error }, `stored model ${hash.slice(0, 10)} does not verify (${errorMessage(error)}); dropping it and fetching it again`);
      await store.delete(hash);
    }
  }
  const started = performance.now();
  const { bytes, peer, hub } = await p2p.fetchBlobFrom(hash, {
    signal: options.signal,
    maxBytes: MAX_CHECKPOINT_BYTES,
    verify: (received) => {
      decodeCheckpoint(received, hash);
      return true;
    },
  });
  const checkpoint = await store.putBytes(hash, bytes);
  logger.info(
    { modelHash: hash, round: checkpoint.meta.round, bytes: bytes.byteLength, ms: Math.round(performance.now() - started), from: peer, fromHub: hub },
    `fetched model ${hash.slice(0, 10)} (round ${checkpoint.meta.round}) over the blob protocol from ${hub ? 'the hub' : 'a peer'} ${peer}`,
  );
  return checkpoint;
}

/** A fetch of one checkpoint shared by every caller that wants it while it runs. */
interface SharedFetch {
  result: Promise<Checkpoint>;
  /** Aborts the fetch once no caller waits for it any more. */
  controller: AbortController;
  waiting: number;
}

/**
 * The peer's model source: checkpoints by hash through `ensureCheckpoint`, the latest one kept
 * in memory so that training reads (and hash-checks) a round's base once, not on every use. Right
 * after a commit the daemon wants the new model twice at once (to audit the round, and as the next
 * round's base): one fetch serves both, so a busy network carries it once and the audit does not
 * queue behind a second copy of the same download.
 */
export class CheckpointModels implements ModelSource {
  readonly #store: CheckpointStore;
  readonly #p2p: GradnetNode;
  readonly #logger: Logger;
  readonly #fetching = new Map<string, SharedFetch>();
  #latest: Checkpoint | undefined;

  constructor(options: { store: CheckpointStore; p2p: GradnetNode; logger: Logger }) {
    this.#store = options.store;
    this.#p2p = options.p2p;
    this.#logger = options.logger;
  }

  async ensure(modelHash: Hex, options: Abortable = {}): Promise<{ modelHash: Hex; parameterCount: number }> {
    const checkpoint = await this.checkpoint(modelHash, options);
    return { modelHash: checkpoint.modelHash, parameterCount: checkpoint.params.length };
  }

  async checkpoint(modelHash: Hex, options: Abortable = {}): Promise<Checkpoint> {
    if (this.#latest?.modelHash === modelHash) return this.#latest;
    options.signal?.throwIfAborted();
    const key = modelHash.toLowerCase();
    let shared = this.#fetching.get(key);
    if (shared === undefined) {
      const controller = new AbortController();
      const result = ensureCheckpoint({ hash: modelHash, store: this.#store, p2p: this.#p2p, logger: this.#logger, signal: controller.signal })
        .then((checkpoint) => (this.#latest = checkpoint))
        .finally(() => this.#fetching.delete(key));
      shared = { result, controller, waiting: 0 };
      this.#fetching.set(key, shared);
    }
    shared.waiting++;
    try {
      return await untilAborted(shared.result, options.signal);
    } finally {
      if (--shared.waiting === 0) shared.controller.abort(options.signal?.reason);
    }
  }
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts (the promise runs on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
