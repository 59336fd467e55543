import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';
import { Queue, lpStream } from '@libp2p/utils';
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { BlobRequest, BlobResponse, contentHash } from '../protocol/index.ts';
import type { BlobSource } from './blob-store.ts';
import { BlobFetchError, P2PConfigError, type BlobFailure } from './errors.ts';
import { shuffle } from './mesh.ts';

export const BLOB_PROTOCOL = '/gradnet/blob/1';

export interface BlobExchangeOptions {
  /** Bytes per chunk on the wire. Default 64 KiB. */
  chunkBytes?: number;
  /** Per-peer time limit for a whole fetch. Default 30 s. */
  timeoutMs?: number;
  /** Outgoing fetches at once, across peers. Default 4. */
  maxConcurrentFetches?: number;
  /** Incoming requests served at once, across peers, counted once a request has been read; more are answered BUSY. Default 8. */
  maxConcurrentServes?: number;
  /** Incoming streams one peer may hold open at once, read or not; more are answered BUSY. Default 4. */
  maxStreamsPerPeer?: number;
  /** Time an incoming stream has to send its request before it is dropped. Default 3 s. */
  requestTimeoutMs?: number;
  /** Largest blob this node fetches or serves. Default 64 MiB. */
  maxBlobBytes?: number;
}

export interface FetchBlobOptions {
  signal?: AbortSignal;
  /** Peers to ask, in order; default: every connected peer, in random order. */
  peers?: PeerId[];
  /** Refuse blobs above this many bytes before receiving them. Default: the node's maxBlobBytes. */
  maxBytes?: number;
  /**
   * Checks the received bytes against `hash`. Default: contentHash(bytes) (SHA-256) === hash. Checkpoints are
   * addressed by model hash, not by the hash of their bytes: pass a verifier that decodes them
   * (e.g. `bytes => { decodeCheckpoint(bytes, hash); return true }`).
   */
  verify?: (bytes: Uint8Array) => boolean;
}

const REQUEST_MAX_BYTES = 128;
/** Time a peer has to say whether it holds a blob; a slower one counts as not holding it. */
const PROBE_TIMEOUT_MS = 5000;

class PeerFailure extends Error {
  constructor(
    readonly failure: BlobFailure,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * `/gradnet/blob/1`: request {hash, maxBytes}; response header {status, size}; then the bytes in
 * length-prefixed chunks. The client checks the declared size against its bound before
 * allocating, counts bytes as they come, and verifies the hash before handing anything out.
 * The server keeps a slow-loris off its serving slots: a stream takes one only once its request
 * has arrived, a stream that sends none within `requestTimeoutMs` is dropped, and one peer holds
 * at most `maxStreamsPerPeer` streams, so silent streams cost a peer its own share, not everyone's.
 */
export class BlobExchange {
  private readonly chunkBytes: number;
  private readonly timeoutMs: number;
  private readonly maxBlobBytes: number;
  private readonly maxConcurrentServes: number;
  private readonly maxStreamsPerPeer: number;
  private readonly requestTimeoutMs: number;
  private readonly fetchQueue: Queue<Uint8Array>;
  private serving = 0;
  private readonly streamsByPeer = new Map<string, number>();

  constructor(
    private readonly libp2p: Libp2p,
    private readonly sources: readonly BlobSource[],
    options: BlobExchangeOptions = {},
  ) {
    this.chunkBytes = positive('chunkBytes', options.chunkBytes ?? 64 * 1024);
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? 30_000);
    this.maxBlobBytes = positive('maxBlobBytes', options.maxBlobBytes ?? 64 * 1024 * 1024);
    this.maxConcurrentServes = positive('maxConcurrentServes', options.maxConcurrentServes ?? 8);
    this.maxStreamsPerPeer = positive('maxStreamsPerPeer', options.maxStreamsPerPeer ?? 4);
    this.requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs ?? 3000);
    this.fetchQueue = new Queue({ concurrency: positive('maxConcurrentFetches', options.maxConcurrentFetches ?? 4) });
  }

  async start(): Promise<void> {
    // Past the per-peer cap a stream is still accepted, to be answered BUSY rather than reset.
    await this.libp2p.handle(BLOB_PROTOCOL, (stream, connection) => this.serve(stream, connection), {
      maxInboundStreams: this.maxStreamsPerPeer * 2,
    });
  }

  async stop(): Promise<void> {
    this.fetchQueue.abort();
    await this.libp2p.unhandle(BLOB_PROTOCOL);
  }

  /** Fetches `hash` from the first peer that delivers verified bytes. */
  async fetch(hash: Hex, options: FetchBlobOptions = {}): Promise<Uint8Array> {
    return (await this.fetchFrom(hash, options)).bytes;
  }

  /** `fetch`, saying which peer delivered. */
  async fetchFrom(hash: Hex, options: FetchBlobOptions = {}): Promise<{ bytes: Uint8Array; peer: PeerId }> {
    const maxBytes = Math.min(options.maxBytes ?? this.maxBlobBytes, this.maxBlobBytes);
    const verify = options.verify ?? ((bytes: Uint8Array) => contentHash(bytes) === hash.toLowerCase());
    // Connected peers in random order, so fetches of a popular blob (the new model) spread over
    // everyone holding it instead of all landing on the first connection (the coordinator).
    const peers = options.peers ?? shuffle(this.libp2p.getPeers());
    const attempts: { peer: string; failure: BlobFailure; detail: string }[] = [];
    for (const peer of peers) {
      options.signal?.throwIfAborted();
      try {
        return { bytes: await this.fetchQueue.add(() => this.fetchOne(peer, hash, maxBytes, verify, options.signal), { signal: options.signal }), peer };
      } catch (error) {
        options.signal?.throwIfAborted();
        const failure = error instanceof PeerFailure ? error.failure : (error as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable';
        attempts.push({ peer: peer.toString(), failure, detail: (error as Error).message });
      }
    }
    throw new BlobFetchError(hash, attempts);
  }

  /**
   * The peers among `peers` that hold `hash`, all asked at once. Each is asked for the blob with
   * room for 0 bytes, which a holder refuses as TOO_LARGE (sending none) and others answer
   * NOT_FOUND: one round trip to everyone instead of a whole request to each in turn. A peer that
   * does not answer within PROBE_TIMEOUT_MS, or is busy, counts as not holding it.
   */
  async holders(hash: Hex, peers: readonly PeerId[], signal?: AbortSignal): Promise<PeerId[]> {
    const holds = await Promise.all(peers.map((peer) => this.holds(peer, hash, signal).catch(() => false)));
    signal?.throwIfAborted();
    return peers.filter((_, i) => holds[i]);
  }

  private async holds(peer: PeerId, hash: Hex, signal?: AbortSignal): Promise<boolean> {
    const timeout = AbortSignal.timeout(PROBE_TIMEOUT_MS);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const stream = await this.libp2p.dialProtocol(peer, BLOB_PROTOCOL, { signal: combined });
    try {
      const lp = lpStream(stream, { maxDataLength: REQUEST_MAX_BYTES });
      await lp.write(BlobRequest.encode({ hash: new Uint8Array(hexToBytes(hash)), maxBytes: 0 }), { signal: combined });
      const header = BlobResponse.decode((await lp.read({ signal: combined })).subarray());
      return header.status === BlobResponse.Status.TOO_LARGE;
    } finally {
      // The answer is all there is: reset the stream rather than wait for the server to close its side.
      stream.abort(new Error('blob probe answered'));
    }
  }

  private async fetchOne(peer: PeerId, hash: Hex, maxBytes: number, verify: (bytes: Uint8Array) => boolean, signal?: AbortSignal): Promise<Uint8Array> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const stream = await this.libp2p.dialProtocol(peer, BLOB_PROTOCOL, { signal: combined });
    try {
      const lp = lpStream(stream, { maxDataLength: Math.max(this.chunkBytes, REQUEST_MAX_BYTES) });
      await lp.write(BlobRequest.encode({ hash: new Uint8Array(hexToBytes(hash)), maxBytes }), { signal: combined });
      const header = BlobResponse.decode((await lp.read({ signal: combined })).subarray());
      if (header.status !== BlobResponse.Status.OK) throw new PeerFailure(statusFailure(header.status), `peer answered ${header.status}`);
      if (!Number.isSafeInteger(header.size) || header.size > maxBytes) {
        throw new PeerFailure('too_large', `peer offers ${header.size} bytes, more than the ${maxBytes} allowed`);
      }
      const bytes = new Uint8Array(header.size);
      let received = 0;
      while (received < header.size) {
        const chunk = (await lp.read({ signal: combined })).subarray();
        if (chunk.byteLength === 0 || received + chunk.byteLength > header.size) {
          throw new PeerFailure('protocol', `peer sent ${received + chunk.byteLength} bytes of a ${header.size}-byte blob`);
        }
        bytes.set(chunk, received);
        received += chunk.byteLength;
      }
      let verified = false;
      try {
        verified = verify(bytes);
      } catch {
        verified = false;
      }
      if (!verified) throw new PeerFailure('hash_mismatch', `bytes from ${peer.toString()} do not match ${hash}`);
      await stream.close({ signal: combined }).catch(() => undefined);
      return bytes;
    } catch (error) {
      stream.abort(error as Error);
      throw error;
    }
  }

  private async serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const open = this.streamsByPeer.get(peer) ?? 0;
    this.streamsByPeer.set(peer, open + 1);
    const signal = AbortSignal.timeout(this.timeoutMs);
    const lp = lpStream(stream, { maxDataLength: REQUEST_MAX_BYTES });
    const respond = (status: BlobResponse.Status, size = 0): Promise<void> => lp.write(BlobResponse.encode({ status, size }), { signal });
    try {
      if (open >= this.maxStreamsPerPeer) {
        await respond(BlobResponse.Status.BUSY);
        return;
      }
      const request = await this.readRequest(lp);
      if (request === undefined) {
        await respond(BlobResponse.Status.BAD_REQUEST);
        return;
      }
      if (this.serving >= this.maxConcurrentServes) {
        await respond(BlobResponse.Status.BUSY);
        return;
      }
      this.serving++;
      try {
        const bytes = await this.lookup(bytesToHex(request.hash), signal);
        if (bytes === undefined) {
          await respond(BlobResponse.Status.NOT_FOUND);
          return;
        }
        if (bytes.byteLength > Math.min(request.maxBytes, this.maxBlobBytes)) {
          await respond(BlobResponse.Status.TOO_LARGE, bytes.byteLength);
          return;
        }
        await respond(BlobResponse.Status.OK, bytes.byteLength);
        for (let offset = 0; offset < bytes.byteLength; offset += this.chunkBytes) {
          await lp.write(bytes.subarray(offset, offset + this.chunkBytes), { signal });
        }
        await stream.close({ signal });
      } finally {
        this.serving--;
      }
    } catch (error) {
      // A peer that hangs up, stalls or sends no request must not hurt the server; drop the stream.
      stream.abort(error as Error);
    } finally {
      const left = (this.streamsByPeer.get(peer) ?? 1) - 1;
      if (left === 0) this.streamsByPeer.delete(peer);
      else this.streamsByPeer.set(peer, left);
    }
  }

  /** The request, or undefined when what came is not one; throws when nothing came within requestTimeoutMs. */
  private async readRequest(lp: ReturnType<typeof lpStream>): Promise<BlobRequest | undefined> {
    const deadline = AbortSignal.timeout(this.requestTimeoutMs);
    try {
      const request = BlobRequest.decode((await lp.read({ signal: deadline })).subarray());
      return request.hash.byteLength === 32 ? request : undefined;
    } catch (error) {
      if (deadline.aborted) throw error;
      return undefined;
    }
  }

  private async lookup(hash: Hex, signal: AbortSignal): Promise<Uint8Array | undefined> {
    for (const source of this.sources) {
      try {
        const bytes = await source.getBytes(hash, signal);
        if (bytes !== undefined) return bytes;
      } catch {
        // A source that does not hold the hash may throw (CheckpointStore does); try the next.
      }
    }
    return undefined;
  }
}

function statusFailure(status: BlobResponse.Status): BlobFailure {
  switch (status) {
    case BlobResponse.Status.NOT_FOUND:
      return 'not_found';
    case BlobResponse.Status.TOO_LARGE:
      return 'too_large';
    case BlobResponse.Status.BUSY:
      return 'busy';
    case BlobResponse.Status.BAD_REQUEST:
      return 'bad_request';
    default:
      return 'protocol';
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new P2PConfigError(`blob option ${name} must be a positive integer, got ${value}`, value);
  return value;
}
