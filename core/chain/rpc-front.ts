import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DevnetError } from './errors.ts';

/**
 * Methods whose first parameter is a transaction object. Foundry's cast, geth's ethclient and
 * web3.js 4 send its call data as `input` (or as `input` and `data` together); Hardhat's EDR
 * accepts `data` only and answers -32602 "duplicate field 'data'" to both shapes.
 */
const TRANSACTION_METHODS: ReadonlySet<string> = new Set([
  'eth_call',
  'eth_estimateGas',
  'eth_sendTransaction',
  'eth_signTransaction',
  'eth_createAccessList',
]);

/** Largest request body the front accepts: far above a contract deployment, far below a memory problem. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A JSON-RPC error the front answers itself, without asking the chain. */
interface FrontError {
  code: number;
  message: string;
}

/**
 * One JSON-RPC request as EDR accepts it: a transaction object's `input` becomes `data`. When
 * both are given and differ, the request is refused as geth refuses it (the caller meant two
 * things at once); anything else passes through untouched.
 */
export function normaliseRpcRequest(request: unknown): { request: unknown } | { error: FrontError } {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return { request };
  const { method, params } = request as { method?: unknown; params?: unknown };
  if (typeof method !== 'string' || !TRANSACTION_METHODS.has(method) || !Array.isArray(params)) return { request };
  const [transaction, ...rest] = params as unknown[];
  if (typeof transaction !== 'object' || transaction === null || !('input' in transaction)) return { request };
  const { input, data, ...fields } = transaction as { input?: unknown; data?: unknown };
  if (data !== undefined && input !== undefined && String(data).toLowerCase() !== String(input).toLowerCase()) {
    return { error: { code: -32602, message: 'both "data" and "input" are set and not equal; send the call data in one of them' } };
  }
  const callData = input ?? data;
  return { request: { ...request, params: [callData === undefined ? fields : { ...fields, data: callData }, ...rest] } };
}

/** A single request's or a batch's body, normalised; requests the front refuses get their error in place. */
export function normaliseRpcBody(body: unknown): { forward: unknown; refused: Map<number, FrontError> } {
  const refused = new Map<number, FrontError>();
  const one = (request: unknown, index: number): unknown => {
    const result = normaliseRpcRequest(request);
    if ('error' in result) {
      refused.set(index, result.error);
      return undefined;
    }
    return result.request;
  };
  if (!Array.isArray(body)) return { forward: one(body, 0), refused };
  return { forward: body.map(one), refused };
}

export interface RpcFront {
  /** Address and port the front listens on (port 0 resolved). */
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * An HTTP JSON-RPC front on `host:port` that passes every request to `upstream` (a JSON-RPC
 * endpoint on this machine) after `normaliseRpcBody`, so clients that send `input` work against
 * Hardhat's EDR. HTTP only: WebSocket upgrades are refused (gradnet's clients poll over HTTP).
 */
export async function startRpcFront(options: { host: string; port: number; upstream: string }): Promise<RpcFront> {
  const server = createServer((request, response) => {
    void serve(request, response, options.upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: NodeJS.ErrnoException) => {
      const busy = cause.code === 'EADDRINUSE';
      reject(new DevnetError(options.port, busy
        ? `port ${options.port} on ${options.host} is already in use (another devnet or node?); stop it or pass --port <free port>`
        : `cannot listen on ${options.host}:${options.port}: ${cause.message}; pick another --host or --port`, cause));
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return { host: options.host, port, close: () => closeServer(server) };
}

async function serve(request: IncomingMessage, response: ServerResponse, upstream: string): Promise<void> {
  if (request.method !== 'POST') {
    response.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('gradnet devnet: send JSON-RPC requests with POST\n');
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(request));
  } catch (error) {
    reply(response, { jsonrpc: '2.0', id: null, error: { code: -32700, message: `parse error: ${(error as Error).message}` } });
    return;
  }
  const { forward, refused } = normaliseRpcBody(body);
  try {
    if (!Array.isArray(body)) {
      if (refused.size > 0) return reply(response, { jsonrpc: '2.0', id: (body as { id?: unknown }).id ?? null, error: refused.get(0) });
      return reply(response, await ask(upstream, forward));
    }
    // A batch: the chain answers what the front passes, the front answers what it refused, in order.
    const passed = (forward as unknown[]).filter((_request, index) => !refused.has(index));
    const answers = passed.length === 0 ? [] : ((await ask(upstream, passed)) as unknown[]);
    let next = 0;
    reply(response, body.map((request: unknown, index) => (refused.has(index)
      ? { jsonrpc: '2.0', id: (request as { id?: unknown } | null)?.id ?? null, error: refused.get(index) }
      : answers[next++])));
  } catch (error) {
    reply(response, { jsonrpc: '2.0', id: null, error: { code: -32603, message: `the devnet's chain did not answer: ${(error as Error).message}` } }, 502);
  }
}

async function ask(upstream: string, payload: unknown): Promise<unknown> {
  const answer = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  return answer.json();
}

function reply(response: ServerResponse, payload: unknown, status = 200): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
