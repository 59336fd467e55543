import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A JSON-RPC pass-through on 127.0.0.1 that a test can cut, to play an RPC endpoint going down. */
export interface RpcRelay {
  readonly url: string;
  /** While true, every request's socket is destroyed, as a dead endpoint would. */
  down: boolean;
  /**
   * While set, a request whose JSON-RPC body it returns true for is cut the same way: a test holds
   * back one account's transactions (their nonce and gas reads name its address) and lets reads through.
   */
  refuse: ((body: string) => boolean) | undefined;
  close(): Promise<void>;
}

export async function startRpcRelay(target: string): Promise<RpcRelay> {
  let down = false;
  let refuse: ((body: string) => boolean) | undefined;
  const server: Server = createServer((request, response) => {
    if (down) {
      request.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (refuse?.(Buffer.concat(chunks).toString('utf8')) === true) {
        request.socket.destroy();
        return;
      }
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
        .then(async (answer) => {
          response.writeHead(answer.status, { 'content-type': 'application/json' });
          response.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => request.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get down() {
      return down;
    },
    set down(value: boolean) {
      down = value;
    },
    get refuse() {
      return refuse;
    },
    set refuse(value: ((body: string) => boolean) | undefined) {
      refuse = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
