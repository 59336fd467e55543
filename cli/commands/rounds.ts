import { Command } from 'commander';
import { action } from '../support/action.ts';
import { withChainOptions } from '../support/options.ts';
import { parsePositiveInt } from '../support/parse.ts';

/** `gradnet rounds [--last N] [--json]`: the round history as the RoundLedger contract records it. */
export function roundsCommand(): Command {
  return withChainOptions(new Command('rounds'))
    .description(
      'round history from the RoundLedger contract: status, model hash, contributors, samples, loss, accuracy, reward, block, time. ' +
        'A round is pending while its challenge window runs (it can still be voided), then final (its rewards claimable); ' +
        'a commit a challenge took back is listed as voided, before the commit of the same round id that replaced it',
    )
    .option('--last <n>', 'only the last N round ids', parsePositiveInt)
    .option('--json', 'print a JSON array (round, modelHash, parentHash, updatesRoot, rewardsRoot, contributors, totalSamples, loss, accuracy, reward, blockNumber, txHash, status: pending|final|voided)')
    .action(action(async (options: { last?: number; json?: boolean } & Record<string, unknown>) => (await import('../actions/rounds.ts')).listRounds(options)));
}
