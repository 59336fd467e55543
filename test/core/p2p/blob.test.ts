import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, type Hex } from 'viem';
import { contentHash, createGossipValidator } from '../../../core/protocol/index.ts';
import { BlobFetchError, MemoryBlobStore, createGradnetNode, type BlobSource, type GradnetNode } from '../../../core/p2p/index.ts';
import { DOMAIN, LEDGER, MemoryDirectory, context, newNodeKey } from '../protocol/fixtures.ts';

/** A source that holds one blob and releases it only when told: a slow disk, a busy server. */
class GatedSource implements BlobSource {
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  requests = 0;

  constructor(
    private readonly hash: Hex,
    private readonly bytes: Uint8Array,
  ) {}

  async getBytes(hash: Hex): Promise<Uint8Array | undefined> {
    if (hash !== this.hash) return undefined;
    this.requests++;
    await this.gate;
    return this.bytes;
  }

  open(): void {
    this.release();
  }
}

function node(options: { blobStore?: BlobSource; blob?: Parameters<typeof createGradnetNode>[0]['blob'] } = {}): GradnetNode {
  const key = newNodeKey();
  const validator = createGossipValidator({ domain: DOMAIN, directory: new MemoryDirectory(), context: () => context(), isCoordinator: () => false });
  return createGradnetNode({ privateKey: key.privateKey, chainId: DOMAIN.chainId, ledger: LEDGER, validator, ...options });
}

test('the memory store evicts the oldest blobs beyond its byte budget', () => {
  const store = new MemoryBlobStore(250);
  const hashes = [1, 2, 3].map((fill) => store.put(new Uint8Array(100).fill(fill)));
  assert.equal(store.has(hashes[0]), false);
  assert.equal(store.has(hashes[1]) && store.has(hashes[2]), true);
  assert.equal(store.size, 200);
  assert.equal(hashes[2], contentHash(new Uint8Array(100).fill(3)));
});

describe('blob exchange limits', { timeout: 60_000 }, () => {
  const slowBytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
  const slowHash = contentHash(slowBytes);
  const slow = new GatedSource(slowHash, slowBytes);
  const checkpointBytes = new Uint8Array(5000).fill(9);
  const modelHash = keccak256(new Uint8Array([1, 2, 3]));
  const server = node({
    blobStore: { getBytes: async (hash) => (hash === modelHash ? checkpointBytes : slow.getBytes(hash)) },
    blob: { maxConcurrentServes: 1, chunkBytes: 16 * 1024 },
  });
  const client = node({ blob: { timeoutMs: 4000 } });

  before(async () => {
    await server.start();
    await client.start({ signal: AbortSignal.timeout(30_000) });
    await client.dial(server.multiaddrs()[0], { signal: AbortSignal.timeout(30_000) });
  });

  after(async () => {
    slow.open();
    await Promise.allSettled([client.stop(), server.stop()]);
  });

  test('a server at its concurrency limit answers busy; a stalled transfer times out; both then succeed', async () => {
    const first = client.fetchBlob(slowHash, { peers: [server.peerId] });
    while (slow.requests === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await assert.rejects(client.fetchBlob(slowHash, { peers: [server.peerId] }), (error: unknown) => {
      assert.ok(error instanceof BlobFetchError);
      assert.equal(error.attempts[0].failure, 'busy');
      return true;
    });
    await assert.rejects(first, (error: unknown) => error instanceof BlobFetchError && error.attempts[0].failure === 'timeout');
    slow.open();
    assert.deepEqual(await client.fetchBlob(slowHash, { peers: [server.peerId], signal: AbortSignal.timeout(20_000) }), slowBytes);
  });

  test('a checkpoint is fetched by model hash with a caller-supplied verifier', async () => {
    const bytes = await client.fetchBlob(modelHash, { verify: (received) => received.length === 5000 && received.every((b) => b === 9) });
    assert.equal(bytes.length, 5000);
    await assert.rejects(client.fetchBlob(modelHash, { verify: () => false }), /hash_mismatch/);
  });

  test('an aborted fetch stops at once', async () => {
    const controller = new AbortController();
    controller.abort(new Error('operator cancelled'));
    await assert.rejects(client.fetchBlob(slowHash, { signal: controller.signal }), /operator cancelled/);
  });
});
