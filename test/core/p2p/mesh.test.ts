import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contentHash, createGossipValidator, type ValidationContext } from '../../../core/protocol/index.ts';
import { createGradnetNode, type BlobExchangeOptions, type BlobSource, type GradnetNode, type UpdateEvent } from '../../../core/p2p/index.ts';
import { BASE_MODEL, DOMAIN, LEDGER, MemoryDirectory, makeUpdate, newNodeKey, smallDelta, type TestNode } from '../protocol/fixtures.ts';

const PARAMETERS = 1000;
const current: ValidationContext = { round: 3, baseModelHash: BASE_MODEL, parameterCount: PARAMETERS, maxNorm: 10 };
const directory = new MemoryDirectory();

interface Peer {
  key: TestNode;
  node: GradnetNode;
  updates: UpdateEvent[];
}

async function startPeer(bootstrap?: string[], blobStore?: BlobSource, blob?: BlobExchangeOptions): Promise<Peer> {
  const key = newNodeKey();
  directory.active.add(key.address);
  const validator = createGossipValidator({ domain: DOMAIN, directory, context: () => current, isCoordinator: () => false });
  const node = createGradnetNode({
    privateKey: key.privateKey,
    chainId: DOMAIN.chainId,
    ledger: LEDGER,
    validator,
    bootstrap,
    blobStore,
    blob,
    discoveryIntervalMs: 500,
    mesh: { targetConnections: 4, intervalMs: 300 },
  });
  await node.start({ signal: AbortSignal.timeout(30_000) });
  const updates: UpdateEvent[] = [];
  node.on('update', (event) => updates.push(event));
  return { key, node, updates };
}

async function until(condition: () => boolean, what: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a mesh grown from one bootstrap hub', { timeout: 120_000 }, () => {
  let hub: Peer;
  const spokes: Peer[] = [];

  /** What the hub was asked for over the blob protocol. */
  const askedHub: string[] = [];
  const hubOnly = new TextEncoder().encode('only the hub has this');
  /** Blobs the hub takes a second to look up, with one serving slot: a second fetch meanwhile is answered busy. */
  const slow = [new TextEncoder().encode('slow one'), new TextEncoder().encode('slow two')];
  const shared = new TextEncoder().encode('the hub and a spoke have this');

  before(async () => {
    hub = await startPeer(undefined, {
      getBytes: async (hash) => {
        askedHub.push(hash);
        const slowOne = slow.find((bytes) => contentHash(bytes) === hash);
        if (slowOne !== undefined) await new Promise((resolve) => setTimeout(resolve, 1000));
        return [hubOnly, shared, ...slow].find((bytes) => contentHash(bytes) === hash);
      },
    }, { maxConcurrentServes: 1 });
    for (let i = 0; i < 4; i++) spokes.push(await startPeer(hub.node.multiaddrs()));
  });

  after(async () => {
    await Promise.allSettled([hub, ...spokes].map((peer) => peer.node.stop()));
  });

  test('peers that only knew the hub discover and connect to each other', async () => {
    const spokeIds = new Set(spokes.map((peer) => peer.node.peerId));
    const otherSpokes = (peer: Peer): number => peer.node.connectedPeers().filter((id) => spokeIds.has(id)).length;
    await until(
      () => spokes.every((peer) => otherSpokes(peer) >= 2),
      () => `spoke-to-spoke connections (${spokes.map(otherSpokes).join(', ')})`,
    );
  });

  test('blobs are fetched from other peers before the hub, which serves what nobody else has', async () => {
    const [holder, fetcher] = spokes;
    holder.node.putBlob(shared);
    assert.ok(fetcher.node.connectedPeers().includes(holder.node.peerId));
    for (let i = 0; i < 5; i++) assert.deepEqual(await fetcher.node.fetchBlob(contentHash(shared), { signal: AbortSignal.timeout(10_000) }), shared);
    assert.deepEqual(askedHub, []);
    assert.deepEqual(await fetcher.node.fetchBlob(contentHash(hubOnly), { signal: AbortSignal.timeout(10_000) }), hubOnly);
    assert.deepEqual(askedHub, [contentHash(hubOnly)]);
  });

  test('a hub too busy to serve (one slot, two peers at once) is asked again, and both get their blob', async () => {
    const [first, second] = spokes;
    const fetched = await Promise.all([first, second].map((peer, i) => peer.node.fetchBlob(contentHash(slow[i]), { signal: AbortSignal.timeout(20_000) })));
    assert.deepEqual(fetched, slow);
  });

  test('a peer that has just joined waits to meet other peers and takes a blob from them, not from the hub', async () => {
    const newcomer = await startPeer(hub.node.multiaddrs());
    try {
      const asked = askedHub.length;
      // `shared` is held by the hub and by one spoke (an earlier test put it there).
      assert.deepEqual(await newcomer.node.fetchBlob(contentHash(shared), { signal: AbortSignal.timeout(20_000) }), shared);
      assert.deepEqual(askedHub.slice(asked), [], 'the newcomer asked the hub');
    } finally {
      await newcomer.node.stop();
    }
  });

  test('with the hub gone, an update still reaches every peer and a blob is fetched from a peer that holds it', async () => {
    await hub.node.stop();
    const [sender, ...receivers] = spokes;
    await until(() => receivers.every((peer) => peer.node.topicPeers('update').includes(sender.node.peerId) || peer.node.topicPeers('update').length >= 2), () => 'topic peers without the hub');
    // gossipsub's heartbeat (1 s) re-grafts the mesh around the missing hub.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const update = await makeUpdate(sender.key, { delta: smallDelta(1, PARAMETERS) });
    await sender.node.publishUpdate(update);
    await until(() => receivers.every((peer) => peer.updates.some((event) => event.update.payloadDigest === update.payloadDigest)), () => 'the update at every peer');

    const hash = sender.node.putBlob(new TextEncoder().encode('held by one spoke only'));
    const holders = receivers.filter((peer) => peer.node.connectedPeers().includes(sender.node.peerId));
    assert.ok(holders.length > 0, 'some spoke is connected to the sender');
    for (const peer of holders) {
      const bytes = await peer.node.fetchBlob(hash, { signal: AbortSignal.timeout(10_000) });
      assert.equal(new TextDecoder().decode(bytes), 'held by one spoke only');
    }
  });
});
