import type { Hex, PublicClient } from 'viem';
import type { CommittedRound, LedgerClient, VoidedRound } from '../../core/chain/index.ts';
import { formatFixed6, formatTokens, renderTable, shortHex } from './table.ts';
import { fromFixedPoint } from '../../core/units/index.ts';

/**
 * Where a commit stands: `pending` while its challenge window runs (it may still be voided),
 * `final` after (its rewards claimable, for good), `voided` when a challenge took it back (the
 * round id is, or will be, committed again on the restored head).
 */
export type RoundStatus = 'pending' | 'final' | 'voided';

/** One committed round as `gradnet rounds --json` prints it (bigints become decimal strings). */
export interface RoundRow {
  round: number;
  modelHash: Hex;
  parentHash: Hex;
  updatesRoot: Hex;
  rewardsRoot: Hex;
  contributors: number;
  totalSamples: bigint;
  /** Fixed point, 1e6 = 1.0, as stored on chain. */
  loss: bigint;
  accuracy: bigint;
  /** The round's reward budget in token wei. */
  reward: bigint;
  blockNumber: bigint;
  txHash: Hex;
  /** Block time, unix seconds (table only). */
  timestamp?: bigint;
  status: RoundStatus;
  /** Unix seconds at which a pending round becomes final (table only). */
  finalAt?: bigint;
}

/** The `--json` object of a round: exactly the fields the CLI reference lists, loss and accuracy as decimals. */
export function roundJson(row: RoundRow): Record<string, string | number> {
  return {
    round: row.round,
    modelHash: row.modelHash,
    parentHash: row.parentHash,
    updatesRoot: row.updatesRoot,
    rewardsRoot: row.rewardsRoot,
    contributors: row.contributors,
    totalSamples: row.totalSamples.toString(),
    loss: fromFixedPoint(row.loss),
    accuracy: fromFixedPoint(row.accuracy),
    reward: row.reward.toString(),
    blockNumber: Number(row.blockNumber),
    txHash: row.txHash,
    status: row.status,
  };
}

export function renderRounds(rows: readonly RoundRow[]): string {
  return renderTable(rows, [
    { header: 'round', value: (row) => String(row.round), align: 'right' },
    { header: 'status', value: statusText },
    { header: 'model hash', value: (row) => shortHex(row.modelHash) },
    { header: 'contributors', value: (row) => String(row.contributors), align: 'right' },
    { header: 'samples', value: (row) => row.totalSamples.toString(), align: 'right' },
    { header: 'loss', value: (row) => formatFixed6(row.loss), align: 'right' },
    { header: 'accuracy', value: (row) => `${(Number(row.accuracy) / 1e4).toFixed(2)}%`, align: 'right' },
    { header: 'reward', value: (row) => formatTokens(row.reward, 2), align: 'right' },
    { header: 'block', value: (row) => row.blockNumber.toString(), align: 'right' },
    { header: 'time', value: (row) => (row.timestamp === undefined ? '' : new Date(Number(row.timestamp) * 1000).toISOString().replace('T', ' ').slice(0, 19)) },
  ]);
}

/** `final`, `voided`, or `pending` with when it becomes final. */
function statusText(row: RoundRow): string {
  if (row.status !== 'pending' || row.finalAt === undefined) return row.status;
  return `pending (final at ${new Date(Number(row.finalAt) * 1000).toISOString().slice(11, 19)})`;
}

export function toRoundRow(round: CommittedRound, status: RoundStatus, finalAt?: bigint): RoundRow {
  return {
    round: round.roundId,
    modelHash: round.modelHash,
    parentHash: round.parentHash,
    updatesRoot: round.updatesRoot,
    rewardsRoot: round.rewardsRoot,
    contributors: round.contributors,
    totalSamples: BigInt(round.totalSamples),
    loss: BigInt(round.loss),
    accuracy: BigInt(round.accuracy),
    reward: round.rewardBudget,
    blockNumber: round.blockNumber,
    txHash: round.transactionHash,
    timestamp: BigInt(round.committedAt),
    status,
    finalAt,
  };
}

/**
 * The rounds with their status: the current commit of every round id (final once `windowSeconds`
 * passed since it was committed, as of `now`, the latest block's time: what RoundLedger.isFinal
 * checks), and the commits challenges voided, each before the commit that replaced it.
 */
export function roundRows(current: readonly CommittedRound[], voided: readonly VoidedRound[], finality: { windowSeconds: number; now: bigint }): RoundRow[] {
  const window = BigInt(finality.windowSeconds);
  const rows = [
    ...voided.map((round) => toRoundRow(round, 'voided')),
    ...current.map((round) => {
      const finalAt = BigInt(round.committedAt) + window;
      return finalAt <= finality.now ? toRoundRow(round, 'final') : toRoundRow(round, 'pending', finalAt);
    }),
  ];
  return rows.sort((a, b) => a.round - b.round || (a.blockNumber < b.blockNumber ? -1 : a.blockNumber > b.blockNumber ? 1 : 0));
}

/** The rounds on the ledger with their status, oldest first; only rounds among the last `last` round ids when given. */
export async function fetchRoundRows(ledger: LedgerClient, publicClient: Pick<PublicClient, 'getBlock'>, last?: number): Promise<RoundRow[]> {
  const count = await ledger.roundCount();
  const fromRound = last === undefined ? 1 : Math.max(1, count - last + 1);
  const [current, voided, windowSeconds, latest] = await Promise.all([
    ledger.listRounds({ fromRound, toRound: count }),
    ledger.listVoidedRounds(),
    ledger.challengeWindow(),
    publicClient.getBlock({ blockTag: 'latest' }),
  ]);
  return roundRows(current, voided.filter((round) => round.roundId >= fromRound), { windowSeconds, now: latest.timestamp });
}
