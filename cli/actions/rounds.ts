import { chainConfigSchema } from '../../core/config/index.ts';
import { openChain } from '../support/chain.ts';
import { readSettings } from '../support/settings.ts';
import { fetchRoundRows, renderRounds, roundJson } from '../support/rounds.ts';

/** `gradnet rounds`: the committed rounds from the RoundLedger, as a table or JSON. */
export async function listRounds(options: { last?: number; json?: boolean } & Record<string, unknown>): Promise<void> {
  const config = readSettings(chainConfigSchema, options);
  const chain = await openChain(config);
  const rows = await fetchRoundRows(chain.ledger, chain.clients.publicClient, options.last);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(rows.map(roundJson), null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write(`no rounds committed yet on chain ${chain.clients.chainId} (genesis ${await chain.ledger.genesisModelHash()})\n`);
    return;
  }
  process.stdout.write(`${renderRounds(rows)}\n`);
}
