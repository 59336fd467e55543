import { parseEventLogs, type GetContractEventsReturnType } from 'viem';
import { abortable } from './abortable.ts';
import type { ContractAt, FunctionParameters } from './contract.ts';
import { withChainErrors, type ReadErrorType, type WriteErrorType } from './errors.ts';
import type { ActionOptions } from './options.ts';
import { readView, type ViewReturnType } from './read.ts';
import { writeAndWait, type SentTransaction } from './write.ts';

// RoundChallenges: the coordinator's bond, and challenges that void a pending round on
// stake-weighted verdicts. Reads fail with ReadErrorType<'RoundChallenges'>, transactions with
// WriteErrorType<'RoundChallenges'> (ledger, registry and token reverts bubble up through it).

type RoundChallenges = ContractAt<'RoundChallenges'>;

export type ChallengeRoundParameters = FunctionParameters<'RoundChallenges', 'challengeRound'> & ActionOptions;
export type ChallengeRoundReturnType = SentTransaction & { challenged: GetRoundChallengedEventsReturnType[number]['args'] };
export type ChallengeRoundErrorType = WriteErrorType<'RoundChallenges'>;

/**
 * Submits verdicts against pending round `roundId` (sorted by node key, each signed for the round's
 * committed model hash and rewards root); returns the `RoundChallenged` event: rounds voided, bond slashed.
 */
export async function challengeRound(challenges: RoundChallenges, { roundId, verdicts, signal }: ChallengeRoundParameters): Promise<ChallengeRoundReturnType> {
  const sent = await writeAndWait(challenges, 'challengeRound', [roundId, verdicts], signal);
  const [event] = parseEventLogs({ abi: challenges.abi, eventName: 'RoundChallenged', logs: sent.receipt.logs });
  return { ...sent, challenged: event.args };
}

export type PostBondParameters = FunctionParameters<'RoundChallenges', 'postBond'> & ActionOptions;
export type PostBondErrorType = WriteErrorType<'RoundChallenges'>;

/** Adds `amount` (approved to the challenges contract) to the current coordinator's bond. */
export function postBond(challenges: RoundChallenges, { amount, signal }: PostBondParameters): Promise<SentTransaction> {
  return writeAndWait(challenges, 'postBond', [amount], signal);
}

export type WithdrawBondParameters = FunctionParameters<'RoundChallenges', 'withdrawBond'> & ActionOptions;
export type WithdrawBondErrorType = WriteErrorType<'RoundChallenges'>;

/** Returns `amount` of a former coordinator's bond once every round it committed is final. */
export function withdrawBond(challenges: RoundChallenges, { amount, signal }: WithdrawBondParameters): Promise<SentTransaction> {
  return writeAndWait(challenges, 'withdrawBond', [amount], signal);
}

export type BondOfParameters = FunctionParameters<'RoundChallenges', 'bondOf'> & ActionOptions;
export type BondOfReturnType = ViewReturnType<'RoundChallenges', 'bondOf'>;
export type BondOfErrorType = ReadErrorType<'RoundChallenges'>;

/** The bond held for `coordinator`. */
export function bondOf(challenges: RoundChallenges, { coordinator, signal }: BondOfParameters): Promise<BondOfReturnType> {
  return readView(challenges, 'bondOf', [coordinator], signal);
}

export type ThresholdBpsReturnType = ViewReturnType<'RoundChallenges', 'thresholdBps'>;
export type ThresholdBpsErrorType = ReadErrorType<'RoundChallenges'>;

/** Share of the total active stake that verdicts need, in basis points. */
export function thresholdBps(challenges: RoundChallenges, { signal }: ActionOptions = {}): Promise<ThresholdBpsReturnType> {
  return readView(challenges, 'thresholdBps', [], signal);
}

export type ChallengerShareBpsReturnType = ViewReturnType<'RoundChallenges', 'challengerShareBps'>;
export type ChallengerShareBpsErrorType = ReadErrorType<'RoundChallenges'>;

/** Share of a slashed bond paid to the challenger, in basis points. */
export function challengerShareBps(challenges: RoundChallenges, { signal }: ActionOptions = {}): Promise<ChallengerShareBpsReturnType> {
  return readView(challenges, 'challengerShareBps', [], signal);
}

export type VerdictDigestParameters = FunctionParameters<'RoundChallenges', 'verdictDigest'> & ActionOptions;
export type VerdictDigestReturnType = ViewReturnType<'RoundChallenges', 'verdictDigest'>;
export type VerdictDigestErrorType = ReadErrorType<'RoundChallenges'>;

/** The EIP-712 digest the contract checks a verdict signature against. */
export function verdictDigest(challenges: RoundChallenges, { roundId, modelHash, rewardsRoot, verdict, signal }: VerdictDigestParameters): Promise<VerdictDigestReturnType> {
  return readView(challenges, 'verdictDigest', [roundId, modelHash, rewardsRoot, verdict], signal);
}

export type GetRoundChallengedEventsParameters = ActionOptions & {
  /** First block searched (the ledger's deployment block finds every challenge). */
  fromBlock: bigint;
};
export type GetRoundChallengedEventsReturnType = GetContractEventsReturnType<RoundChallenges['abi'], 'RoundChallenged', true>;
export type GetRoundChallengedEventsErrorType = ReadErrorType<'RoundChallenges'>;

/** Every `RoundChallenged` event from `fromBlock` to the latest block. */
export function getRoundChallengedEvents(challenges: RoundChallenges, { fromBlock, signal }: GetRoundChallengedEventsParameters): Promise<GetRoundChallengedEventsReturnType> {
  const { publicClient } = challenges.clients;
  return withChainErrors(challenges, 'RoundChallenged logs', () => {
    signal?.throwIfAborted();
    const logs = publicClient.getContractEvents({ address: challenges.address, abi: challenges.abi, eventName: 'RoundChallenged', fromBlock, toBlock: 'latest', strict: true });
    return abortable(logs, signal);
  });
}
