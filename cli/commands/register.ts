import { Command } from 'commander';
import type { RegisterFlags } from '../actions/register.ts';
import { action } from '../support/action.ts';
import { withChainOptions, withWalletOptions } from '../support/options.ts';
import { parseTokens } from '../support/parse.ts';

/** `gradnet register --stake AMOUNT`: the owner stakes GRAD and binds a node key in the NodeRegistry. */
export function registerCommand(): Command {
  return withWalletOptions(withChainOptions(new Command('register')))
    .description('stake GRAD from the owner wallet and register a node key (approve, then register); says so when already registered')
    .requiredOption('--stake <amount>', 'stake in GRAD, e.g. 100 (at least the registry\'s minimum)', parseTokens)
    .option('--owner <select>', 'owner keystore address or label (default: the only owner keystore)')
    .option('--node <select>', 'node keystore address or label (default: the only node keystore)')
    .option('--new-node', 'create a new node keystore (same password) and register it in one step')
    .action(action(async (flags: RegisterFlags) => (await import('../actions/register.ts')).register(flags)));
}
