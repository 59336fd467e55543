import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getAddress, isAddress, type Hex } from 'viem';
import { lazyExplorerHandler } from '../explorer/index.ts';
import { ApiRequestError } from './errors.ts';
import type { Page } from './store.ts';

/** What the HTTP API reads; the coordinator implements it over its store, chain and metrics. */
export interface ApiSource {
  status(): unknown;
  rounds(query: { limit: number; before?: number }): unknown;
  /** One round, with a page of its updates. */
  round(round: number, page: Page): unknown;
  /** A page of a round's refusal counts (per peer and reason). */
  refusals(round: number, page: Page): unknown;
  nodes(): unknown;
  /** The owner's claim as of the latest final round (read from the ledger, hence async). */
  rewards(owner: Hex): Promise<unknown>;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface ApiServer {
  /** Base URL, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;
  close(): Promise<void>;
}

const MAX_ROUNDS_PAGE = 500;
const DEFAULT_ITEMS_PAGE = 100;
const MAX_ITEMS_PAGE = 1000;

/**
 * Serves the coordinator's read-only API: `GET /status`, `/rounds[?limit&before]`,
 * `/rounds/:round[?limit&offset]`, `/rounds/:round/refusals[?limit&offset]`, `/nodes`,
 * `/rewards/:owner`, `/metrics`; with `explorer`, the network explorer's page at `/`. JSON bodies carry bigints as
 * decimal strings. Errors are JSON `{ error, code }` with a 4xx/5xx status, never a crash.
 */
export async function startApiServer(options: { host: string; port: number; source: ApiSource; explorer?: { rpcUrl: string; deploymentsFile?: string } }): Promise<ApiServer> {
  // The network explorer's page at `/` (its assets and JSON under /explorer/), connected on its first request.
  const page = options.explorer;
  const explorer = page && lazyExplorerHandler(() => ({ ...page, coordinatorUrl: url }));
  const server: Server = createServer((request, response) => {
    (explorer?.handle(request, response) ?? Promise.resolve(false))
      .then((served) => (served ? undefined : handle(options.source, request, response)))
      .catch((error: unknown) => sendError(response, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        explorer?.close();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(source: ApiSource, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new ApiRequestError(405, `method ${request.method} is not allowed; the coordinator API is read-only (GET)`, request.method);
  }
  const url = new URL(request.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter((part) => part.length > 0);
  const [head, param, sub, ...rest] = parts;
  if (rest.length > 0 || (sub !== undefined && !(head === 'rounds' && sub === 'refusals'))) throw notFound(url.pathname);
  if (head === 'metrics' && param === undefined) {
    const { contentType, body } = await source.metrics();
    response.writeHead(200, { 'content-type': contentType });
    response.end(body);
    return;
  }
  if (head === 'status' && param === undefined) return sendJson(response, 200, source.status());
  if (head === 'nodes' && param === undefined) return sendJson(response, 200, source.nodes());
  if (head === 'rounds' && param === undefined) {
    const limit = parseInteger(url.searchParams.get('limit') ?? '50', 'limit', 1, MAX_ROUNDS_PAGE);
    const beforeText = url.searchParams.get('before');
    const before = beforeText === null ? undefined : parseInteger(beforeText, 'before', 0, Number.MAX_SAFE_INTEGER);
    return sendJson(response, 200, source.rounds({ limit, before }));
  }
  if (head === 'rounds' && param !== undefined) {
    const round = parseInteger(param, 'round', 0, Number.MAX_SAFE_INTEGER);
    const page = {
      limit: parseInteger(url.searchParams.get('limit') ?? String(DEFAULT_ITEMS_PAGE), 'limit', 1, MAX_ITEMS_PAGE),
      offset: parseInteger(url.searchParams.get('offset') ?? '0', 'offset', 0, Number.MAX_SAFE_INTEGER),
    };
    return sendJson(response, 200, sub === 'refusals' ? source.refusals(round, page) : source.round(round, page));
  }
  if (head === 'rewards' && param !== undefined) {
    if (!isAddress(param, { strict: false })) {
      throw new ApiRequestError(400, `"${param}" is not an address; ask for /rewards/0x<40 hex digits of the owner wallet>`, param);
    }
    return sendJson(response, 200, await source.rewards(getAddress(param)));
  }
  throw notFound(url.pathname);
}

function notFound(path: string): ApiRequestError {
  return new ApiRequestError(404, `no such endpoint ${path}; try /status, /rounds, /rounds/:round, /rounds/:round/refusals, /nodes, /rewards/:owner or /metrics`, path);
}

function parseInteger(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ApiRequestError(400, `${name} must be an integer from ${min} to ${max}, got "${text}"`, text);
  }
  return value;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(`${text}\n`);
}

function sendError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof ApiRequestError) {
    sendJson(response, error.status, { error: error.message, code: error.code });
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  sendJson(response, 500, { error: message, code: typeof code === 'string' ? code : 'INTERNAL' });
}
