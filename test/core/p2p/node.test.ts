import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGossipValidator } from '../../../core/protocol/index.ts';
import { NodeNotRunningError, P2PConfigError, createGradnetNode, type GradnetNode, type GradnetNodeOptions } from '../../../core/p2p/index.ts';
import { DOMAIN, LEDGER, MemoryDirectory, context, newNodeKey } from '../protocol/fixtures.ts';

const started: GradnetNode[] = [];
after(async () => {
  await Promise.allSettled(started.map((node) => node.stop()));
});

function options(overrides: Partial<GradnetNodeOptions> = {}): GradnetNodeOptions {
  const validator = createGossipValidator({ domain: DOMAIN, directory: new MemoryDirectory(), context: () => context(), isCoordinator: () => false });
  return { privateKey: newNodeKey().privateKey, chainId: DOMAIN.chainId, ledger: LEDGER, validator, ...overrides };
}

test('bad options fail at construction with what to write instead', () => {
  assert.throws(() => createGradnetNode(options({ bootstrap: ['127.0.0.1:4001'] })), P2PConfigError);
  assert.throws(() => createGradnetNode(options({ privateKey: '0x12' })), /64 hex digits/);
});

test('calls that need a running node say so', async () => {
  const node = createGradnetNode(options());
  assert.throws(() => node.multiaddrs(), NodeNotRunningError);
  await assert.rejects(node.publishHeartbeat({ nodeKey: node.address, round: 0, modelHash: `0x${'0'.repeat(64)}`, version: '1', timestamp: 0 }), NodeNotRunningError);
  await node.stop();
});

test('the peer id is the node key, and a bootstrap peer that comes up late is dialled again', { timeout: 60_000 }, async () => {
  const serverKey = newNodeKey();
  const first = createGradnetNode(options({ privateKey: serverKey.privateKey }));
  started.push(first);
  await first.start();
  const address = first.multiaddrs()[0];
  const port = address.split('/')[4];
  await first.stop();

  const client = createGradnetNode(options({ bootstrap: [address], redialIntervalMs: 200 }));
  started.push(client);
  await client.start({ signal: AbortSignal.timeout(30_000) });
  assert.deepEqual(client.connectedPeers(), []);

  const server = createGradnetNode(options({ privateKey: serverKey.privateKey, listen: [`/ip4/127.0.0.1/tcp/${port}`] }));
  started.push(server);
  await server.start();
  assert.equal(server.peerId, address.split('/p2p/')[1]);
  assert.equal(server.address, serverKey.address);
  const deadline = Date.now() + 20_000;
  while (!client.connectedPeers().includes(server.peerId)) {
    assert.ok(Date.now() < deadline, 'the client re-dialled its bootstrap peer');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});
