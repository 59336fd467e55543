import type { Address } from 'viem';
import { fetchChainId } from '../../core/chain/index.ts';
import { ConfigError, walletConfigSchema } from '../../core/config/index.ts';
import { GradnetError } from '../../core/errors.ts';
import { createLogger } from '../../core/log/index.ts';
import { findKeystore, loadKey } from '../../core/wallet/index.ts';
import { openChain } from '../support/chain.ts';
import { readSettings } from '../support/settings.ts';
import { fetchRewardStatement, finalAt } from '../support/rewards.ts';
import { formatTokens, toJson } from '../support/table.ts';

/** `gradnet rewards`: the owner's proven rewards, and with --claim the payout. */
export async function showRewards(options: { owner?: string; claim?: boolean; json?: boolean } & Record<string, unknown>): Promise<void> {
  const config = readSettings(walletConfigSchema, options);
  if (config.coordinatorUrl === undefined) throw new ConfigError('coordinatorUrl', undefined, 'the reward proofs come from the coordinator: pass --coordinator-url URL or set GRADNET_COORDINATOR_URL');
  const logger = createLogger({ name: 'rewards', level: config.logLevel, format: config.logFormat });
  let owner: Address;
  let privateKey: `0x${string}` | undefined;
  if (options.claim === true) {
    const key = await loadKey({ role: 'owner', keystoreDir: config.keystoreDir, select: options.owner, passwordFile: config.passwordFile, chainId: await fetchChainId(config.rpcUrl), env: process.env, logger, interactive: true });
    owner = key.address;
    privateKey = key.privateKey;
  } else {
    owner = options.owner !== undefined && /^0x[0-9a-fA-F]{40}$/.test(options.owner) ? (options.owner as Address) : (await findKeystore(config.keystoreDir, 'owner', options.owner)).address;
  }
  const chain = await openChain(config, { account: privateKey });
  const statement = await fetchRewardStatement(chain, config.coordinatorUrl, owner);
  let payout: bigint | undefined;
  if (options.claim === true && statement.claimable > 0n) {
    const pending = await finalAt(chain.ledger, statement.claim.roundId);
    if (pending !== null && pending.at * 1000 > Date.now()) {
      throw new GradnetError(
        'ROUND_PENDING',
        `the rewards proof is for round ${statement.claim.roundId}, which is still in its ${pending.windowSeconds} s challenge window: the vault pays from ${new Date(pending.at * 1000).toISOString()} on; claim again then`,
      );
    }
    logger.info({ owner, round: statement.claim.roundId }, `claiming ${formatTokens(statement.claimable)} GRAD as of round ${statement.claim.roundId}`);
    const sent = await chain.vault.claim(statement.claim);
    payout = sent.payout;
    logger.info({ owner, payout: payout.toString(), txHash: sent.hash }, `claimed ${formatTokens(payout)} GRAD (tx ${sent.hash})`);
  }
  const result = {
    owner,
    asOfRound: statement.claim.roundId,
    cumulativeReward: statement.claim.cumulativeReward,
    cumulativeSamples: statement.claim.cumulativeSamples,
    cumulativeRounds: statement.claim.cumulativeRounds,
    claimed: statement.claimed + (payout ?? 0n),
    claimable: payout === undefined ? statement.claimable : 0n,
    paid: payout,
  };
  if (options.json === true) {
    process.stdout.write(`${toJson(result)}\n`);
    return;
  }
  process.stdout.write(
    [
      `owner      ${owner}`,
      `earned     ${formatTokens(result.cumulativeReward)} GRAD over ${result.cumulativeRounds} rounds (${result.cumulativeSamples} samples), as of round ${result.asOfRound}; proof verified against the chain`,
      `claimed    ${formatTokens(result.claimed)} GRAD`,
      `claimable  ${formatTokens(result.claimable)} GRAD${options.claim === true ? '' : ' (claim with --claim)'}`,
    ].join('\n') + '\n',
  );
}
