import type { Hex } from 'viem';
import type { CommittedRound, LedgerClient } from '../../core/chain/index.ts';
import { formatFixed6, formatTokens, renderTable, shortHex } from './table.ts';
import { fromFixedPoint } from '../../core/units/index.ts';

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
  };
}

export function renderRounds(rows: readonly RoundRow[]): string {
  return renderTable(rows, [
    { header: 'round', value: (row) => String(row.round), align: 'right' },
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

export function toRoundRow(round: CommittedRound): RoundRow {
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
  };
}

/** The committed rounds from the ledger, oldest first; only the last `last` when given. */
export async function fetchRoundRows(ledger: LedgerClient, last?: number): Promise<RoundRow[]> {
  const count = await ledger.roundCount();
  const fromRound = last === undefined ? 1 : Math.max(1, count - last + 1);
  return (await ledger.listRounds({ fromRound, toRound: count })).map(toRoundRow);
}
