import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGossipValidator } from '../../../core/protocol/index.ts';
import { createGradnetNode, type GradnetNode, type GradnetNodeOptions } from '../../../core/p2p/index.ts';
import { DOMAIN, LEDGER, MemoryDirectory, context, newNodeKey } from '../protocol/fixtures.ts';

const validator = createGossipValidator({ domain: DOMAIN, directory: new MemoryDirectory(), context: () => context(), isCoordinator: () => false });
const started: GradnetNode[] = [];

async function start(options: Partial<GradnetNodeOptions> = {}): Promise<GradnetNode> {
  const node = createGradnetNode({ privateKey: newNodeKey().privateKey, chainId: DOMAIN.chainId, ledger: LEDGER, validator, mesh: { targetConnections: 0 }, ...options });
  started.push(node);
  await node.start({ signal: AbortSignal.timeout(30_000) });
  return node;
}

async function until<T>(value: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = value();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Circuit Relay v2', { timeout: 60_000 }, () => {
  after(async () => {
    await Promise.allSettled(started.map((node) => node.stop()));
  });

  test('a node with no listening socket (behind NAT) reserves a slot on a relay and is dialled through it', async () => {
    const relay = await start();
    // Only `/p2p-circuit`: it accepts nothing directly, like a home node behind NAT.
    const hidden = await start({ listen: ['/p2p-circuit'], bootstrap: relay.multiaddrs() });
    const circuit = await until(() => hidden.multiaddrs().find((address) => address.includes('/p2p-circuit/')), 'a relayed address');
    assert.ok(circuit.startsWith(relay.multiaddrs()[0].split('/p2p/')[0]), `relayed through the relay: ${circuit}`);

    const dialer = await start({ relay: { serve: false } });
    const relayed: string[] = [];
    dialer.on('relayed', ({ peer }) => relayed.push(peer));
    await dialer.dial(circuit, { signal: AbortSignal.timeout(10_000) });
    assert.deepEqual(relayed, [hidden.peerId]);
    assert.ok(dialer.connectedPeers().includes(hidden.peerId));
    const connection = dialer.libp2p().getConnections().find((c) => c.remotePeer.toString() === hidden.peerId);
    assert.ok(connection?.remoteAddr.toString().includes('/p2p-circuit'));
  });

  test('a node that does not serve refuses reservations', async () => {
    const closed = await start({ relay: { serve: false } });
    const hidden = await start({ listen: ['/p2p-circuit'], bootstrap: closed.multiaddrs() });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(hidden.multiaddrs().some((address) => address.includes('/p2p-circuit/')), false);
  });
});
