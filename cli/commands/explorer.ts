import { Command } from 'commander';
import type { ExplorerFlags } from '../actions/explorer.ts';
import { action } from '../support/action.ts';
import { withChainOptions } from '../support/options.ts';
import { parsePort } from '../support/parse.ts';

/** `gradnet explorer`: the network explorer web page, served until Ctrl-C. */
export function explorerCommand(): Command {
  return withChainOptions(new Command('explorer'))
    .description('serve the network explorer: a live web page of rounds, charts, nodes and rewards, read from the chain (and the coordinator with --coordinator-url)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on, 0 for any', parsePort, 7080)
    .action(action(async (flags: ExplorerFlags) => (await import('../actions/explorer.ts')).runExplorer(flags)));
}
