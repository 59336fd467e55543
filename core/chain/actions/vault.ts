import { parseEventLogs } from 'viem';
import type { ContractAt, FunctionParameters } from './contract.ts';
import type { ReadErrorType, WriteErrorType } from './errors.ts';
import type { ActionOptions } from './options.ts';
import { readView, type ViewReturnType } from './read.ts';
import { writeAndWait, type SentTransaction } from './write.ts';

// RewardVault: pays cumulative rewards proven against a round's rewards root.

type RewardVault = ContractAt<'RewardVault'>;

export type ClaimParameters = FunctionParameters<'RewardVault', 'claim'> & ActionOptions;
export type ClaimReturnType = SentTransaction & { payout: bigint };
export type ClaimErrorType = WriteErrorType<'RewardVault'>;

/** Submits a claim (any account may; the payout goes to `owner`) and returns what it paid. */
export async function claim(vault: RewardVault, parameters: ClaimParameters): Promise<ClaimReturnType> {
  const { roundId, owner, cumulativeReward, cumulativeSamples, cumulativeRounds, proof, signal } = parameters;
  const sent = await writeAndWait(vault, 'claim', [roundId, owner, cumulativeReward, cumulativeSamples, cumulativeRounds, proof], signal);
  const [event] = parseEventLogs({ abi: vault.abi, eventName: 'RewardClaimed', logs: sent.receipt.logs });
  return { ...sent, payout: event.args.payout };
}

export type ClaimedParameters = FunctionParameters<'RewardVault', 'claimed'> & ActionOptions;
export type ClaimedReturnType = ViewReturnType<'RewardVault', 'claimed'>;
export type ClaimedErrorType = ReadErrorType<'RewardVault'>;

/** What the vault has paid to and recorded for `owner`. */
export function claimed(vault: RewardVault, { owner, signal }: ClaimedParameters): Promise<ClaimedReturnType> {
  return readView(vault, 'claimed', [owner], signal);
}

export type TotalPaidReturnType = ViewReturnType<'RewardVault', 'totalPaid'>;
export type TotalPaidErrorType = ReadErrorType<'RewardVault'>;

/** Everything the vault has paid in claims (never above the final rounds' cumulative budget). */
export function totalPaid(vault: RewardVault, { signal }: ActionOptions = {}): Promise<TotalPaidReturnType> {
  return readView(vault, 'totalPaid', [], signal);
}
