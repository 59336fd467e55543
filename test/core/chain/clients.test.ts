import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ChainIdMismatchError, ChainInputError, createChainClients, fetchChainId, RpcUnreachableError } from '../../../core/chain/index.ts';

/** A tiny JSON-RPC endpoint answering eth_chainId with 0x7a69 (31337), or plain HTML on /html. */
function startFakeRpc(): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === '/html') {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an RPC</html>');
      return;
    }
    if (request.url === '/hang') return;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x7a69' }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('chain clients', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = await startFakeRpc();
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('reads the chain id and builds clients with an account from a private key', async () => {
    assert.equal(await fetchChainId(url), 31337);
    const clients = await createChainClients({ rpcUrl: url, account: `0x${'11'.repeat(32)}`, chainId: 31337 });
    assert.equal(clients.chainId, 31337);
    assert.equal(clients.chain.id, 31337);
    assert.ok(clients.walletClient);
    assert.equal(clients.account?.address, '0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A');
    const readOnly = await createChainClients({ rpcUrl: url });
    assert.equal(readOnly.walletClient, undefined);
  });

  it('names the URL that did not answer', async () => {
    const closed = 'http://127.0.0.1:1';
    await assert.rejects(createChainClients({ rpcUrl: closed }), (error: unknown) => {
      assert.ok(error instanceof RpcUnreachableError);
      assert.equal(error.rpcUrl, closed);
      assert.match(error.message, /http:\/\/127\.0\.0\.1:1 did not answer/);
      return true;
    });
    await assert.rejects(fetchChainId(`${url}/html`), (error: unknown) => error instanceof RpcUnreachableError && error.message.includes(`${url}/html`));
    await assert.rejects(fetchChainId(`${url}/hang`, { timeoutMs: 200 }), RpcUnreachableError);
  });

  it('gives up when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = fetchChainId(`${url}/hang`, { signal: controller.signal });
    controller.abort(new Error('stop now'));
    await assert.rejects(pending, /stop now/);
  });

  it('refuses a wrong chain, a malformed URL and a malformed key', async () => {
    await assert.rejects(createChainClients({ rpcUrl: url, chainId: 1 }), (error: unknown) => error instanceof ChainIdMismatchError && error.actual === 31337);
    await assert.rejects(fetchChainId('localhost:8545'), ChainInputError);
    await assert.rejects(fetchChainId('ws://127.0.0.1:8545'), /must use http or https/);
    await assert.rejects(createChainClients({ rpcUrl: url, account: '0x1234' }), (error: unknown) => error instanceof ChainInputError && !error.message.includes('0x1234'.padEnd(10, '0')));
  });
});
