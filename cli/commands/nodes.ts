import { Command } from 'commander';
import { chainConfigSchema } from '../../core/config/index.ts';
import { action } from '../support/action.ts';
import { openChain } from '../support/chain.ts';
import { readSettings, withChainOptions } from '../support/options.ts';
import { formatTokens, renderTable, toJson } from '../support/table.ts';

/** `gradnet nodes [--json]`: every node in the NodeRegistry with its owner, stake and state. */
export function nodesCommand(): Command {
  return withChainOptions(new Command('nodes'))
    .description('the nodes in the NodeRegistry: owner, node key, stake, active or exiting')
    .option('--json', 'print a JSON array')
    .action(action(async (options: { json?: boolean } & Record<string, unknown>) => {
      const config = readSettings(chainConfigSchema, options);
      const chain = await openChain(config);
      const nodes = await chain.registry.listNodes();
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
      ])}\n`);
    }));
}
