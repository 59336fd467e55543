import { Command, InvalidArgumentError } from 'commander';
import { chainConfigSchema } from '../../core/config/index.ts';
import { action } from '../support/action.ts';
import { openChain } from '../support/chain.ts';
import { readSettings, withChainOptions } from '../support/options.ts';
import { fetchRoundRows, renderRounds, roundJson } from '../support/rounds.ts';

/** `gradnet rounds [--last N] [--json]`: the round history as the RoundLedger contract records it. */
export function roundsCommand(): Command {
  return withChainOptions(new Command('rounds'))
    .description('round history from the RoundLedger contract: model hash, contributors, samples, loss, accuracy, reward, block, time')
    .option('--last <n>', 'only the last N rounds', positiveInteger)
    .option('--json', 'print a JSON array (round, modelHash, parentHash, updatesRoot, rewardsRoot, contributors, totalSamples, loss, accuracy, reward, blockNumber, txHash)')
    .action(action(async (options: { last?: number; json?: boolean } & Record<string, unknown>) => {
      const config = readSettings(chainConfigSchema, options);
      const chain = await openChain(config);
      const rows = await fetchRoundRows(chain.ledger, options.last);
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(rows.map(roundJson), null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stdout.write(`no rounds committed yet on chain ${chain.clients.chainId} (genesis ${await chain.ledger.genesisModelHash()})\n`);
        return;
      }
      process.stdout.write(`${renderRounds(rows)}\n`);
    }));
}

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return parsed;
}
