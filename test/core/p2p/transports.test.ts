import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGossipValidator, type ValidationContext } from '../../../core/protocol/index.ts';
import { createGradnetNode, type GradnetNode, type GradnetNodeOptions, type UpdateEvent } from '../../../core/p2p/index.ts';
import { freePort } from '../../../core/process/index.ts';
import { BASE_MODEL, DOMAIN, LEDGER, MemoryDirectory, makeUpdate, newNodeKey, smallDelta, type TestNode } from '../protocol/fixtures.ts';

const PARAMETERS = 1000;
const current: ValidationContext = { round: 3, baseModelHash: BASE_MODEL, parameterCount: PARAMETERS, maxNorm: 10 };
const directory = new MemoryDirectory();
const started: GradnetNode[] = [];

async function startNode(options: Partial<GradnetNodeOptions>, key: TestNode = newNodeKey()): Promise<GradnetNode> {
  directory.active.add(key.address);
  const validator = createGossipValidator({ domain: DOMAIN, directory, context: () => current, isCoordinator: () => false });
  const node = createGradnetNode({ privateKey: key.privateKey, chainId: DOMAIN.chainId, ledger: LEDGER, validator, discoveryIntervalMs: 500, mesh: { intervalMs: 300 }, ...options });
  started.push(node);
  await node.start({ signal: AbortSignal.timeout(30_000) });
  return node;
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

after(async () => {
  await Promise.allSettled(started.map((node) => node.stop()));
});

describe('transports and discovery beside TCP', { timeout: 90_000 }, () => {
  test('a node listening on WebSockets only is dialled there, and gossip flows over it', async () => {
    const sender = newNodeKey();
    const wsOnly = await startNode({ listen: [`/ip4/127.0.0.1/tcp/${await freePort()}/ws`] }, sender);
    assert.ok(wsOnly.multiaddrs().every((address) => address.includes('/ws')), wsOnly.multiaddrs().join(' '));
    const receiver = await startNode({ bootstrap: [wsOnly.multiaddrs()[0]] });
    await until(() => receiver.connectedPeers().includes(wsOnly.peerId), 'the connection over WebSockets');
    await receiver.waitForTopicPeers('update', 1, { signal: AbortSignal.timeout(20_000) });
    await wsOnly.waitForTopicPeers('update', 1, { signal: AbortSignal.timeout(20_000) });
    const heard: UpdateEvent[] = [];
    receiver.on('update', (event) => heard.push(event));
    const update = await makeUpdate(sender, { delta: smallDelta(1, PARAMETERS) });
    await wsOnly.publishUpdate(update);
    await until(() => heard.some((event) => event.update.payloadDigest === update.payloadDigest), 'the update over WebSockets');
  });

  test('with --upnp and no UPnP router on the network, a node starts, connects and stops as without it', async () => {
    const plain = await startNode({});
    const withUpnp = await startNode({ upnp: true, listen: ['/ip4/0.0.0.0/tcp/0'], bootstrap: [plain.multiaddrs()[0]] });
    await until(() => withUpnp.connectedPeers().includes(plain.peerId), 'the connection from the UPnP node');
    const stopped = Date.now();
    await withUpnp.stop();
    assert.ok(Date.now() - stopped < 10_000, `stopping took ${Date.now() - stopped} ms`);
  });

  test('with --mdns, two nodes that know no address find each other on the local network; without it they do not', async () => {
    const plain = await startNode({});
    const first = await startNode({ mdns: true });
    const second = await startNode({ mdns: true });
    await until(() => first.connectedPeers().includes(second.peerId) || second.connectedPeers().includes(first.peerId), 'the mDNS-discovered connection');
    // A node without mDNS neither answers nor asks: nobody learnt its address.
    assert.ok(![first, second].some((node) => node.connectedPeers().includes(plain.peerId)), 'the node without mDNS was found');
  });
});
