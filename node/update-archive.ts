import type { Hex } from 'viem';
import { contentHash, decodeUpdate, encodeUpdate, updateDigest, type GradnetDomain, type SignedUpdate } from '../core/protocol/index.ts';
import { decodeDelta, payloadElementCount } from '../core/tensor/index.ts';

/** The blob exchange as the archive uses it (core/p2p's GradnetNode). */
export interface UpdateExchange {
  /** Serves `bytes` under `hash` from now on. */
  putBlob(bytes: Uint8Array, hash: Hex): Hex;
  /** Fetches bytes by hash from peers; `verify` decides whether what a peer sent is the thing asked for. */
  fetchBlob(hash: Hex, options: { maxBytes?: number; verify?: (bytes: Uint8Array) => boolean; signal?: AbortSignal }): Promise<Uint8Array>;
}

/** A signed update with its payload and decoded delta, under its EIP-712 digest. */
export interface ArchivedUpdate {
  update: SignedUpdate & { payload: Uint8Array };
  digest: Hex;
  delta: Float32Array;
}

/** Room for an update's fields around its payload in the wire bytes. */
const FIELDS_BYTES = 4096;

/**
 * The signed updates this node holds, by EIP-712 digest: those gossip delivered, its own, and
 * those fetched. Each is also served over `/gradnet/blob/1` under its digest (the wire bytes with
 * the payload inline), so an auditor that missed an update a round included fetches it from
 * any peer that has it. Fetched bytes are accepted only when they decode to an update whose
 * digest is the one asked for and whose payload hashes to its payloadDigest: the digest covers
 * every field and the payload's digest, so that is the update, whoever serves it.
 */
export class UpdateArchive {
  readonly #exchange: UpdateExchange;
  readonly #domain: GradnetDomain;
  readonly #keepRounds: number;
  readonly #byDigest = new Map<Hex, ArchivedUpdate>();

  constructor(options: { exchange: UpdateExchange; domain: GradnetDomain; keepRounds?: number }) {
    this.#exchange = options.exchange;
    this.#domain = options.domain;
    this.#keepRounds = options.keepRounds ?? 8;
  }

  /** Keeps a validated update (it must carry its payload) and serves it from now on. */
  keep(update: SignedUpdate, digest: Hex, delta?: Float32Array): ArchivedUpdate {
    const key = digest.toLowerCase() as Hex;
    const kept = this.#byDigest.get(key);
    if (kept !== undefined) return kept;
    if (update.payload === undefined) throw new TypeError(`update ${digest} has no payload to keep`);
    const archived: ArchivedUpdate = { update: update as ArchivedUpdate['update'], digest: key, delta: delta ?? decodeDelta(update.codec, update.payload, payloadElementCount(update.payload) ?? 0) };
    this.#byDigest.set(key, archived);
    this.#exchange.putBlob(encodeUpdate(update, { inline: true }), key);
    this.#forgetOlderThan(update.round - this.#keepRounds);
    return archived;
  }

  /** Keeps an update from its wire bytes (this node's own, as signed and stored). */
  keepBytes(bytes: Uint8Array, digest: Hex): ArchivedUpdate {
    return this.keep(decodeUpdate(bytes) as SignedUpdate, digest);
  }

  get(digest: Hex): ArchivedUpdate | undefined {
    return this.#byDigest.get(digest.toLowerCase() as Hex);
  }

  /** The held update of `digest`, or fetched from peers (and kept); throws when no peer delivers it. */
  async fetch(digest: Hex, options: { maxPayloadBytes: number; signal?: AbortSignal }): Promise<ArchivedUpdate> {
    const held = this.get(digest);
    if (held !== undefined) return held;
    const bytes = await this.#exchange.fetchBlob(digest, { maxBytes: options.maxPayloadBytes + FIELDS_BYTES, verify: (candidate) => this.#isUpdate(candidate, digest), signal: options.signal });
    return this.keepBytes(bytes, digest);
  }

  #isUpdate(bytes: Uint8Array, digest: Hex): boolean {
    try {
      const update = decodeUpdate(bytes);
      return update.payload !== undefined && contentHash(update.payload) === update.payloadDigest.toLowerCase() && updateDigest(update as SignedUpdate, this.#domain) === digest.toLowerCase();
    } catch {
      return false;
    }
  }

  #forgetOlderThan(round: number): void {
    for (const [digest, archived] of this.#byDigest) if (archived.update.round < round) this.#byDigest.delete(digest);
  }
}
