import { chainConfigSchema } from '../../core/config/index.ts';
import { openChain } from '../support/chain.ts';
import { readSettings } from '../support/settings.ts';
import { fetchJson } from '../support/http.ts';
import { formatTokens, renderTable, toJson } from '../support/table.ts';

/** What the coordinator has seen of each node (heartbeats and updates), keyed by lower-case node key. */
interface NodeLiveness {
  liveness?: string;
  lastSeenMs?: number | null;
  lastUpdateRound?: number | null;
}

async function coordinatorView(coordinatorUrl: string): Promise<Map<string, NodeLiveness>> {
  const rows = (await fetchJson(`${coordinatorUrl.replace(/\/$/, '')}/nodes`)) as ({ nodeKey: string } & NodeLiveness)[];
  return new Map(rows.map((row) => [row.nodeKey.toLowerCase(), { liveness: row.liveness, lastSeenMs: row.lastSeenMs, lastUpdateRound: row.lastUpdateRound }]));
}

/** `gradnet nodes`: the registered nodes, with the coordinator's view of them when it is given. */
export async function listNodes(options: { json?: boolean } & Record<string, unknown>): Promise<void> {
  const config = readSettings(chainConfigSchema, options);
  const chain = await openChain(config);
  const registered = await chain.registry.listNodes();
  const seen = config.coordinatorUrl === undefined ? undefined : await coordinatorView(config.coordinatorUrl);
  const nodes = registered.map((node) => ({ ...node, ...seen?.get(node.nodeKey.toLowerCase()) }));
  if (options.json === true) {
    process.stdout.write(`${toJson(nodes)}\n`);
    return;
  }
  if (nodes.length === 0) {
    process.stdout.write('no nodes registered yet; register one with `gradnet register --stake AMOUNT`\n');
    return;
  }
  process.stdout.write(`${renderTable(nodes, [
    { header: 'owner', value: (node) => node.owner },
    { header: 'node key', value: (node) => node.nodeKey },
    { header: 'stake', value: (node) => formatTokens(node.stake, 2), align: 'right' },
    { header: 'state', value: (node) => (node.active ? 'active' : node.unbondingEndsAt > 0 ? `exiting until ${new Date(node.unbondingEndsAt * 1000).toISOString()}` : 'withdrawn') },
    ...(seen === undefined
      ? []
      : [
          { header: 'liveness', value: (node: (typeof nodes)[number]) => node.liveness ?? 'unknown' },
          { header: 'last seen', value: (node: (typeof nodes)[number]) => (node.lastSeenMs ? new Date(node.lastSeenMs).toISOString().slice(11, 19) : '') },
          { header: 'last update', value: (node: (typeof nodes)[number]) => (node.lastUpdateRound === undefined || node.lastUpdateRound === null ? '' : `round ${node.lastUpdateRound}`) },
        ]),
  ])}\n`);
}
