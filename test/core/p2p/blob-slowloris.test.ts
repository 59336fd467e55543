import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { BlobResponse, contentHash, createGossipValidator } from '../../../core/protocol/index.ts';
import { BLOB_PROTOCOL, createGradnetNode, type GradnetNode } from '../../../core/p2p/index.ts';
import { DOMAIN, LEDGER, MemoryDirectory, context, newNodeKey } from '../protocol/fixtures.ts';

function node(options: Pick<Parameters<typeof createGradnetNode>[0], 'blob'> = {}): GradnetNode {
  const validator = createGossipValidator({ domain: DOMAIN, directory: new MemoryDirectory(), context: () => context(), isCoordinator: () => false });
  return createGradnetNode({ privateKey: newNodeKey().privateKey, chainId: DOMAIN.chainId, ledger: LEDGER, validator, ...options });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('blob server under a slow-loris', { timeout: 60_000 }, () => {
  const requestTimeoutMs = 1500;
  // Default serving limits: the attack must not need a tuned server to fail.
  const server = node({ blob: { requestTimeoutMs } });
  const attacker = node();
  const honest = node();
  const bytes = new Uint8Array(200_000).map((_, i) => (i * 13) % 251);
  const hash = contentHash(bytes);
  const silent: Stream[] = [];

  before(async () => {
    await Promise.all([server, attacker, honest].map((peer) => peer.start({ signal: AbortSignal.timeout(30_000) })));
    server.putBlob(bytes);
    for (const peer of [attacker, honest]) await peer.dial(server.multiaddrs()[0], { signal: AbortSignal.timeout(30_000) });
  });

  after(async () => {
    for (const stream of silent) stream.abort(new Error('test over'));
    await Promise.allSettled([server, attacker, honest].map((peer) => peer.stop()));
  });

  test('50 silent streams from one peer: an honest fetch still completes within 2 s; the silent ones are answered BUSY or dropped', async () => {
    const opened = await Promise.allSettled(
      Array.from({ length: 50 }, () => attacker.libp2p().dialProtocol(peerIdFromString(server.peerId), BLOB_PROTOCOL, { signal: AbortSignal.timeout(10_000) })),
    );
    for (const result of opened) if (result.status === 'fulfilled') silent.push(result.value);
    assert.ok(silent.length > 0, 'the attacker opened no stream at all');
    await sleep(200);

    const started = performance.now();
    assert.deepEqual(await honest.fetchBlob(hash, { peers: [server.peerId], signal: AbortSignal.timeout(2000) }), bytes);
    assert.ok(performance.now() - started < 2000, `the honest fetch took ${Math.round(performance.now() - started)} ms`);

    // Every silent stream ends: reset past libp2p's per-connection limit, answered BUSY past the
    // per-peer cap, dropped within the cap when its request never came.
    const outcomes = await Promise.all(
      silent.map(async (stream) => {
        try {
          const header = BlobResponse.decode((await lpStream(stream).read({ signal: AbortSignal.timeout(requestTimeoutMs + 3000) })).subarray());
          return header.status === BlobResponse.Status.BUSY ? 'busy' : `status ${header.status}`;
        } catch (error) {
          return (error as Error).name === 'TimeoutError' ? 'still open' : 'dropped';
        }
      }),
    );
    assert.ok(!outcomes.includes('still open'), outcomes.join(','));
    assert.ok(outcomes.includes('busy') && outcomes.includes('dropped'), outcomes.join(','));

    // Its streams gone, the attacker's peer id is served like anyone else's.
    assert.deepEqual(await attacker.fetchBlob(hash, { peers: [server.peerId], signal: AbortSignal.timeout(5000) }), bytes);
  });
});
