import type { Hex } from 'viem';
import { fetchChainId, type GradnetChain } from '../../core/chain/index.ts';
import { walletConfigSchema } from '../../core/config/index.ts';
import { GradnetError } from '../../core/errors.ts';
import { createLogger } from '../../core/log/index.ts';
import { gradnetDomain, verdictCode } from '../../core/protocol/index.ts';
import { loadKey } from '../../core/wallet/index.ts';
import { openChain } from '../support/chain.ts';
import { readSettings } from '../support/settings.ts';
import { formatTokens, shortHex, toJson } from '../support/table.ts';
import { readVerdictFile, selectVerdicts, stakeNeeded, type ChallengeSubject } from '../support/verdicts.ts';

export interface ChallengeFlags {
  verdicts: string[];
  owner?: string;
  dryRun?: boolean;
  json?: boolean;
  [flag: string]: unknown;
}

/** A round that cannot be challenged (unknown, voided, final) or verdicts that are not enough; the message says what to do. */
export class ChallengeError extends GradnetError {}

/**
 * `gradnet challenge ROUND`: checks the round can still be challenged, keeps the verdicts that
 * count against it, checks their stake reaches the threshold, and (unless --dry-run) sends
 * RoundChallenges.challengeRound from the owner wallet, which earns the challenger's share.
 */
export async function challenge(round: number, flags: ChallengeFlags): Promise<void> {
  const config = readSettings(walletConfigSchema, flags);
  const logger = createLogger({ name: 'challenge', level: config.logLevel, format: config.logFormat });
  const chainId = await fetchChainId(config.rpcUrl);
  const key = flags.dryRun === true ? undefined : await loadKey({ role: 'owner', keystoreDir: config.keystoreDir, select: flags.owner, passwordFile: config.passwordFile, chainId, env: process.env, logger, interactive: true });
  const chain = await openChain(config, { account: key?.privateKey });
  const subject = await challengeableRound(chain, round);

  const verdicts = (await Promise.all(flags.verdicts.map((file) => readVerdictFile(file)))).flat();
  const domain = gradnetDomain(chainId, chain.ledger.address);
  const selection = await selectVerdicts(verdicts, subject, { domain, activeStakeOf: (nodeKey) => chain.registry.activeStakeOf(nodeKey) });
  for (const { nodeKey, reason } of selection.setAside) logger.info({ nodeKey, reason }, `verdict of ${nodeKey} left out: ${reason}`);
  const [totalActiveStake, thresholdBps] = await Promise.all([chain.registry.totalActiveStake(), chain.challenges.thresholdBps()]);
  const need = stakeNeeded(totalActiveStake, thresholdBps);
  const summary = `${selection.counted.length} verdicts against round ${round} hold ${formatTokens(selection.stakeAgainst)} of ${formatTokens(totalActiveStake)} GRAD active stake; ${thresholdBps / 100}% (${formatTokens(need)} GRAD) is needed`;
  if (selection.stakeAgainst < need || selection.counted.length === 0) {
    throw new ChallengeError('CHALLENGE_STAKE_INSUFFICIENT', `${summary}: not enough. Gather the signed verdicts of more auditing nodes (${verdicts.length} read, ${selection.setAside.length} left out; --log-level info says why) and run it again`, {
      value: { have: selection.stakeAgainst, need },
    });
  }
  if (flags.dryRun === true) {
    process.stdout.write(flags.json === true ? `${toJson({ round, dryRun: true, verdicts: selection.counted.length, stakeAgainst: selection.stakeAgainst, totalActiveStake, need })}\n` : `${summary}: enough; run without --dry-run to challenge\n`);
    return;
  }
  logger.info({ round, verdicts: selection.counted.length }, `${summary}: challenging`);
  const sent = await chain.challenges.challengeRound(round, selection.counted.map((verdict) => ({ nodeKey: verdict.nodeKey, verdict: verdictCode(verdict.verdict), signature: verdict.signature })));
  const { throughRound, coordinator, bondSlashed, challengerShare } = sent.challenged;
  const result = {
    round,
    throughRound: Number(throughRound),
    coordinator,
    bondSlashed,
    challengerShare,
    verdicts: selection.counted.length,
    stakeAgainst: selection.stakeAgainst,
    totalActiveStake,
    txHash: sent.hash,
  };
  if (flags.json === true) {
    process.stdout.write(`${toJson(result)}\n`);
    return;
  }
  process.stdout.write(
    [
      `voided     rounds ${round}-${result.throughRound}; the ledger's head is back at round ${round - 1} (tx ${sent.hash})`,
      `slashed    ${formatTokens(bondSlashed)} GRAD of coordinator ${coordinator}'s bond: ${formatTokens(challengerShare)} GRAD to you (${key?.address}), the rest to the RewardVault`,
      `verdicts   ${result.verdicts}, holding ${formatTokens(selection.stakeAgainst)} of ${formatTokens(totalActiveStake)} GRAD active stake`,
    ].join('\n') + '\n',
  );
}

/** Round `round` as committed now, if a challenge can still take it back; otherwise a ChallengeError saying why not. */
async function challengeableRound(chain: GradnetChain, round: number): Promise<ChallengeSubject> {
  const count = await chain.ledger.roundCount();
  if (round > count) {
    const voided = (await chain.ledger.listVoidedRounds()).filter((row) => row.roundId === round);
    throw new ChallengeError(
      'CHALLENGE_UNKNOWN_ROUND',
      voided.length > 0
        ? `round ${round} was voided already (tx ${shortHex(voided.at(-1)?.voidTransactionHash as Hex)}) and is not committed again yet; nothing to challenge (gradnet rounds shows it)`
        : `round ${round} is not committed: the ledger has rounds 1 to ${count}; pick one of those (gradnet rounds lists them)`,
      { value: round },
    );
  }
  if (await chain.ledger.isFinal(round)) {
    const [committedAt, window] = await Promise.all([chain.ledger.committedAt(round), chain.ledger.challengeWindow()]);
    const since = committedAt === 0 ? '' : ` since ${new Date((committedAt + window) * 1000).toISOString()}`;
    throw new ChallengeError('CHALLENGE_ROUND_FINAL', `round ${round} is final${since} (its ${window} s challenge window is over): it can no longer be challenged`, { value: round });
  }
  const committed = await chain.ledger.getRound(round);
  return { round, modelHash: committed.modelHash, rewardsRoot: committed.rewardsRoot };
}
