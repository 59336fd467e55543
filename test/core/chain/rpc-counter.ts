import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One JSON-RPC call that went through the counter. */
export interface CountedCall {
  method: string;
  /** For eth_call: the contract called and the calldata. */
  to?: string;
  data?: string;
}

/**
 * A JSON-RPC front on 127.0.0.1 that forwards every request to `upstream` and records each call
 * (batches counted call by call): what a client costs the RPC endpoint, measured on the wire.
 */
export async function startRpcCounter(upstream: string): Promise<{ url: string; calls: CountedCall[]; stop: () => Promise<void> }> {
  const calls: CountedCall[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const parsed = JSON.parse(body) as { method: string; params?: unknown[] } | { method: string; params?: unknown[] }[];
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
        const [transaction] = (call.params ?? []) as [{ to?: string; data?: string; input?: string } | undefined];
        calls.push(call.method === 'eth_call' ? { method: call.method, to: transaction?.to?.toLowerCase(), data: transaction?.data ?? transaction?.input } : { method: call.method });
      }
      fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then(async (answer) => {
          response.writeHead(answer.status, { 'content-type': 'application/json' });
          response.end(await answer.text());
        })
        .catch((error: unknown) => {
          response.writeHead(502);
          response.end(String(error));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
