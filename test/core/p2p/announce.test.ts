import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonConfigSchema, loadConfig } from '../../../core/config/index.ts';
import { createGossipValidator } from '../../../core/protocol/index.ts';
import { createGradnetNode, P2PConfigError } from '../../../core/p2p/index.ts';
import { DOMAIN, LEDGER, MemoryDirectory, context, newNodeKey } from '../protocol/fixtures.ts';

const validator = createGossipValidator({ domain: DOMAIN, directory: new MemoryDirectory(), context: () => context(), isCoordinator: () => false });

describe('announce addresses', () => {
  test('the daemon reads them from --announce or GRADNET_ANNOUNCE, comma-separated', () => {
    const config = loadConfig(daemonConfigSchema, { env: { GRADNET_ANNOUNCE: '/ip4/203.0.113.7/tcp/4001, /dns4/node.example.org/tcp/4001' } });
    assert.deepEqual(config.announce, ['/ip4/203.0.113.7/tcp/4001', '/dns4/node.example.org/tcp/4001']);
    assert.deepEqual(loadConfig(daemonConfigSchema, { env: {} }).announce, []);
  });

  test('behind NAT the daemon may listen on /p2p-circuit (a relay reservation) beside its socket', () => {
    assert.deepEqual(loadConfig(daemonConfigSchema, { flags: { listen: '/ip4/0.0.0.0/tcp/4001,/p2p-circuit' } }).listen, ['/ip4/0.0.0.0/tcp/4001', '/p2p-circuit']);
    assert.throws(() => loadConfig(daemonConfigSchema, { flags: { listen: '/p2p-circuit/extra' } }), /p2p-circuit/);
  });

  test('a node advertises its announce addresses instead of the ones it listens on', async () => {
    const node = createGradnetNode({ privateKey: newNodeKey().privateKey, chainId: DOMAIN.chainId, ledger: LEDGER, validator, announce: ['/ip4/203.0.113.7/tcp/4001'] });
    await node.start({ signal: AbortSignal.timeout(30_000) });
    try {
      assert.deepEqual(node.multiaddrs(), [`/ip4/203.0.113.7/tcp/4001/p2p/${node.peerId}`]);
    } finally {
      await node.stop();
    }
  });

  test('a malformed announce address is refused when the node is created', () => {
    assert.throws(() => createGradnetNode({ privateKey: newNodeKey().privateKey, chainId: DOMAIN.chainId, ledger: LEDGER, validator, announce: ['203.0.113.7:4001'] }), P2PConfigError);
  });
});
