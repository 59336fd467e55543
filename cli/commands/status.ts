import { Command } from 'commander';
import { action } from '../support/action.ts';
import { withChainOptions } from '../support/options.ts';

/** `gradnet status [--json]`: the network at a glance, from the chain and (when given) the coordinator. */
export function statusCommand(): Command {
  return withChainOptions(new Command('status'))
    .description('the network at a glance: chain, contracts, rounds, latest model, nodes, rewards (and the coordinator with --coordinator-url)')
    .option('--json', 'print one JSON object')
    .action(action(async (options: { json?: boolean } & Record<string, unknown>) => (await import('../actions/status.ts')).showStatus(options)));
}
