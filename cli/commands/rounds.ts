import { Command } from 'commander';
import { action } from '../support/action.ts';
import { withChainOptions } from '../support/options.ts';
import { parsePositiveInt } from '../support/parse.ts';

/** `gradnet rounds [--last N] [--json]`: the round history as the RoundLedger contract records it. */
export function roundsCommand(): Command {
  return withChainOptions(new Command('rounds'))
    .description('round history from the RoundLedger contract: model hash, contributors, samples, loss, accuracy, reward, block, time')
    .option('--last <n>', 'only the last N rounds', parsePositiveInt)
    .option('--json', 'print a JSON array (round, modelHash, parentHash, updatesRoot, rewardsRoot, contributors, totalSamples, loss, accuracy, reward, blockNumber, txHash)')
    .action(action(async (options: { last?: number; json?: boolean } & Record<string, unknown>) => (await import('../actions/rounds.ts')).listRounds(options)));
}
