// explorer: the network explorer web page. It reads the chain (core/chain) and, when given, the
// coordinator's HTTP API, and serves a page (explorer/client, bundled by esbuild on first
// request) that redraws on each change through server-sent events.
export { ExplorerData, type ExplorerIdentity } from './data.ts';
export { CoordinatorApiError, ExplorerError, ExplorerRequestError } from './errors.ts';
export type * from './model.ts';
export {
  lazyExplorerHandler,
  openExplorer,
  startExplorer,
  type ExplorerHandler,
  type ExplorerServer,
  type ExplorerSourceOptions,
} from './server.ts';
