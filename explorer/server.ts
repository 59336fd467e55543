import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectGradnet } from '../core/chain/index.ts';
import { errorMessage } from '../core/errors.ts';
import { buildBundle, type Bundle } from './bundle.ts';
import { ChainView } from './chain-view.ts';
import { CoordinatorApi } from './coordinator-api.ts';
import { ExplorerData } from './data.ts';
import { ExplorerError, ExplorerRequestError } from './errors.ts';

/** Where the explorer reads the network from. */
export interface ExplorerSourceOptions {
  rpcUrl: string;
  /** The address book; default deployments/<chainId>.json. */
  deploymentsFile?: string;
  /** The coordinator's API, for what only it knows (updates, liveness, reward proofs). */
  coordinatorUrl?: string;
  /** How often the chain and the coordinator are asked whether anything changed (default 250 ms). */
  pollMs?: number;
  /** A poll that failed (it is retried at the next one). */
  onError?: (error: unknown) => void;
}

/** The page and its API as a request handler another HTTP server can mount (the coordinator's does, at `/`). */
export interface ExplorerHandler {
  /** Answers the request and returns true when it is one of the explorer's paths, else returns false untouched. */
  handle(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
  /** Stops polling and ends the open event streams. */
  close(): void;
}

export interface ExplorerServer {
  /** e.g. `http://127.0.0.1:7080/` */
  readonly url: string;
  readonly data: ExplorerData;
  close(): Promise<void>;
}

/** Its paths: the page at `/`, the rest under `/explorer/` (clear of the coordinator's own API). */
const PREFIX = '/explorer/';
const DEFAULT_POLL_MS = 250;
const HEARTBEAT_MS = 15_000;

/**
 * Connects to the chain (and the coordinator, when given) and starts polling them. The handler
 * it returns serves the page; the first request builds the bundle.
 */
export async function openExplorer(options: ExplorerSourceOptions & { signal?: AbortSignal }): Promise<{ data: ExplorerData; handler: ExplorerHandler }> {
  const chain = await connectGradnet({ rpcUrl: options.rpcUrl, deploymentsFile: options.deploymentsFile, registryTtlMs: 0, signal: options.signal });
  const data = new ExplorerData(new ChainView(chain), options.coordinatorUrl === undefined ? undefined : new CoordinatorApi(options.coordinatorUrl), {
    rpcUrl: options.rpcUrl,
    deploymentsFile: options.deploymentsFile,
  });
  await data.refresh(options.signal);
  const lifetime = new AbortController();
  void data.watch({ pollMs: options.pollMs ?? DEFAULT_POLL_MS, signal: lifetime.signal, onError: options.onError ?? (() => undefined) });
  const handler = explorerHandler(data);
  return {
    data,
    handler: {
      handle: handler.handle,
      close: () => {
        lifetime.abort();
        handler.close();
      },
    },
  };
}

/**
 * The explorer as a handler that connects on its first request: the coordinator mounts it
 * without paying for a chain connection or a bundle until someone opens the page.
 */
export function lazyExplorerHandler(options: () => ExplorerSourceOptions): ExplorerHandler {
  let opened: Promise<ExplorerHandler> | undefined;
  let closed = false;
  return {
    async handle(request, response) {
      if (!isExplorerPath(request.url ?? '/')) return false;
      opened ??= openExplorer(options()).then(({ handler }) => handler).catch((error: unknown) => {
        opened = undefined;
        throw error;
      });
      const handler = await opened;
      if (closed) handler.close();
      return handler.handle(request, response);
    },
    close() {
      closed = true;
      void opened?.then((handler) => handler.close(), () => undefined);
    },
  };
}

/** Serves the explorer on its own HTTP server (`gradnet explorer`). */
export async function startExplorer(options: ExplorerSourceOptions & { host: string; port: number; signal?: AbortSignal }): Promise<ExplorerServer> {
  const { data, handler } = await openExplorer(options);
  const server: Server = createServer((request, response) => {
    handler
      .handle(request, response)
      .then((handled) => {
        if (!handled) sendJson(response, 404, { error: `no such page ${request.url}; open / for the explorer`, code: 'EXPLORER_REQUEST' });
      })
      .catch((error: unknown) => sendError(response, error));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    handler.close();
    throw new ExplorerError('EXPLORER_LISTEN', `cannot listen on ${options.host}:${options.port} (${errorMessage(error)}); pick another --port`, { cause: error, value: options.port });
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    data,
    close: () =>
      new Promise<void>((resolve, reject) => {
        handler.close();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function isExplorerPath(url: string): boolean {
  const path = new URL(url, 'http://localhost').pathname;
  return path === '/' || path === '/index.html' || path.startsWith(PREFIX);
}

/** The routes over `data`: the page, its bundle, its JSON and its event stream. */
function explorerHandler(data: ExplorerData): ExplorerHandler {
  let bundle: Promise<Bundle> | undefined;
  const streams = new Set<ServerResponse>();
  const loadBundle = (): Promise<Bundle> => {
    bundle ??= buildBundle().catch((error: unknown) => {
      bundle = undefined;
      throw error;
    });
    return bundle;
  };
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!isExplorerPath(url.pathname)) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      throw new ExplorerRequestError(405, `method ${request.method} is not allowed; the explorer is read-only (GET)`, request.method);
    }
    const path = url.pathname.slice(PREFIX.length).split('/').filter((part) => part.length > 0);
    const signal = abortOnClose(request);
    if (url.pathname === '/' || url.pathname === '/index.html') send(response, 200, 'text/html; charset=utf-8', PAGE);
    else if (path[0] === 'app.js' && path.length === 1) send(response, 200, 'text/javascript; charset=utf-8', (await loadBundle()).js);
    else if (path[0] === 'app.css' && path.length === 1) send(response, 200, 'text/css; charset=utf-8', (await loadBundle()).css);
    else if (path[0] === 'events' && path.length === 1) openStream(data, response, streams);
    else if (path[0] === 'api' && path[1] === 'overview' && path.length === 2) sendJson(response, 200, await data.overview(signal));
    else if (path[0] === 'api' && path[1] === 'nodes' && path.length === 2) sendJson(response, 200, await data.nodes(signal));
    else if (path[0] === 'api' && path[1] === 'rounds' && path.length === 3) sendJson(response, 200, await data.round(parseRound(path[2]), signal));
    else if (path[0] === 'api' && path[1] === 'owners' && path.length === 3) sendJson(response, 200, await data.owner(path[2], signal));
    else throw new ExplorerRequestError(404, `no such explorer path ${url.pathname}; open / for the explorer`, url.pathname);
    return true;
  };
  return {
    handle: async (request, response) => {
      try {
        return await handle(request, response);
      } catch (error) {
        sendError(response, error);
        return true;
      }
    },
    close: () => {
      for (const stream of streams) stream.end();
      streams.clear();
    },
  };
}

/** Server-sent events: the current version at once, then each new one; a comment line keeps proxies from closing it. */
function openStream(data: ExplorerData, response: ServerResponse, streams: Set<ServerResponse>): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  const push = (version: number): void => void response.write(`data: ${JSON.stringify({ version })}\n\n`);
  response.write('retry: 1000\n\n');
  push(data.version);
  const unsubscribe = data.subscribe(push);
  const heartbeat = setInterval(() => response.write(': ping\n\n'), HEARTBEAT_MS);
  streams.add(response);
  response.on('close', () => {
    unsubscribe();
    clearInterval(heartbeat);
    streams.delete(response);
  });
}

function abortOnClose(request: IncomingMessage): AbortSignal {
  const controller = new AbortController();
  request.once('close', () => {
    if (!request.complete) controller.abort(new Error('the browser went away'));
  });
  return controller.signal;
}

function parseRound(text: string): number {
  const round = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(round)) throw new ExplorerRequestError(400, `round must be a whole number, got "${text}"`, text);
  return round;
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-cache' });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

function sendError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const status = error instanceof ExplorerRequestError ? error.status : 502;
  const code = (error as { code?: unknown }).code;
  sendJson(response, status, { error: errorMessage(error), code: typeof code === 'string' ? code : 'EXPLORER_FAILED' });
}

/**
 * The page's shell: readable before the script runs (a heading, a live region, a note for
 * browsers without JavaScript), sized for phones, with relative asset paths so it works at the
 * root of any host.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gradnet explorer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="explorer/app.css">
</head>
<body>
<div id="app"><header class="top"><h1>gradnet explorer</h1></header><main id="main" tabindex="-1"><p>Loading the network…</p>
<noscript><p>The explorer needs JavaScript to draw its tables and charts.</p></noscript></main></div>
<script type="module" src="explorer/app.js"></script>
</body>
</html>
`;
