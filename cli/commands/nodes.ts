import { Command } from 'commander';
import { action } from '../support/action.ts';
import { withChainOptions } from '../support/options.ts';

/** `gradnet nodes [--json]`: every node in the NodeRegistry with its owner, stake and state. */
export function nodesCommand(): Command {
  return withChainOptions(new Command('nodes'))
    .description('the nodes in the NodeRegistry: owner, node key, stake, active or exiting (with --coordinator-url: liveness, last heartbeat, last update)')
    .option('--json', 'print a JSON array')
    .action(action(async (options: { json?: boolean } & Record<string, unknown>) => (await import('../actions/nodes.ts')).listNodes(options)));
}
