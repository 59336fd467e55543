import { parseEventLogs, type GetContractEventsReturnType } from 'viem';
import { abortable } from './abortable.ts';
import type { ContractAt, FunctionParameters } from './contract.ts';
import { withChainErrors, type ReadErrorType, type WriteErrorType } from './errors.ts';
import type { ActionOptions } from './options.ts';
import { readView, type ViewReturnType } from './read.ts';
import { writeAndWait, type SentTransaction } from './write.ts';

// RoundLedger: the chain of committed rounds. Reads fail with ReadErrorType<'RoundLedger'>,
// commitRound with WriteErrorType<'RoundLedger'>.

type RoundLedger = ContractAt<'RoundLedger'>;

export type RoundCountReturnType = ViewReturnType<'RoundLedger', 'roundCount'>;
export type RoundCountErrorType = ReadErrorType<'RoundLedger'>;

/** How many rounds are committed (the genesis, round 0, not counted). */
export function roundCount(ledger: RoundLedger, { signal }: ActionOptions = {}): Promise<RoundCountReturnType> {
  return readView(ledger, 'roundCount', [], signal);
}

export type LatestModelHashReturnType = ViewReturnType<'RoundLedger', 'latestModelHash'>;
export type LatestModelHashErrorType = ReadErrorType<'RoundLedger'>;

export function latestModelHash(ledger: RoundLedger, { signal }: ActionOptions = {}): Promise<LatestModelHashReturnType> {
  return readView(ledger, 'latestModelHash', [], signal);
}

export type GenesisModelHashReturnType = ViewReturnType<'RoundLedger', 'genesisModelHash'>;
export type GenesisModelHashErrorType = ReadErrorType<'RoundLedger'>;

export function genesisModelHash(ledger: RoundLedger, { signal }: ActionOptions = {}): Promise<GenesisModelHashReturnType> {
  return readView(ledger, 'genesisModelHash', [], signal);
}

export type TotalRewardBudgetReturnType = ViewReturnType<'RoundLedger', 'totalRewardBudget'>;
export type TotalRewardBudgetErrorType = ReadErrorType<'RoundLedger'>;

/** Sum of the reward budgets of every committed round. */
export function totalRewardBudget(ledger: RoundLedger, { signal }: ActionOptions = {}): Promise<TotalRewardBudgetReturnType> {
  return readView(ledger, 'totalRewardBudget', [], signal);
}

export type MaxRewardBudgetReturnType = ViewReturnType<'RoundLedger', 'maxRewardBudget'>;
export type MaxRewardBudgetErrorType = ReadErrorType<'RoundLedger'>;

/** Largest reward budget one round may carry (fixed at deployment). */
export function maxRewardBudget(ledger: RoundLedger, { signal }: ActionOptions = {}): Promise<MaxRewardBudgetReturnType> {
  return readView(ledger, 'maxRewardBudget', [], signal);
}

export type DeployedAtBlockReturnType = ViewReturnType<'RoundLedger', 'deployedAtBlock'>;
export type DeployedAtBlockErrorType = ReadErrorType<'RoundLedger'>;

/** The block the ledger was deployed in: where searches for its events start. */
export function deployedAtBlock(ledger: RoundLedger, { signal }: ActionOptions = {}): Promise<DeployedAtBlockReturnType> {
  return readView(ledger, 'deployedAtBlock', [], signal);
}

export type GetRoundParameters = FunctionParameters<'RoundLedger', 'getRound'> & ActionOptions;
export type GetRoundReturnType = ViewReturnType<'RoundLedger', 'getRound'>;
export type GetRoundErrorType = ReadErrorType<'RoundLedger'>;

/** The hashes stored for round `roundId`; reverts with UnknownRound past the latest. */
export function getRound(ledger: RoundLedger, { roundId, signal }: GetRoundParameters): Promise<GetRoundReturnType> {
  return readView(ledger, 'getRound', [roundId], signal);
}

export type RewardsRootOfParameters = FunctionParameters<'RoundLedger', 'rewardsRootOf'> & ActionOptions;
export type RewardsRootOfReturnType = ViewReturnType<'RoundLedger', 'rewardsRootOf'>;
export type RewardsRootOfErrorType = ReadErrorType<'RoundLedger'>;

export function rewardsRootOf(ledger: RoundLedger, { roundId, signal }: RewardsRootOfParameters): Promise<RewardsRootOfReturnType> {
  return readView(ledger, 'rewardsRootOf', [roundId], signal);
}

export type GetRoundCommittedEventsParameters = ActionOptions & {
  /** First block searched (the ledger's deployment block finds every round). */
  fromBlock: bigint;
  /** Only this round's event. */
  roundId?: bigint;
};
export type GetRoundCommittedEventsReturnType = GetContractEventsReturnType<RoundLedger['abi'], 'RoundCommitted', true>;
export type GetRoundCommittedEventsErrorType = ReadErrorType<'RoundLedger'>;

/** The `RoundCommitted` events from `fromBlock` to the latest block, whose fields hold what storage does not. */
export function getRoundCommittedEvents(ledger: RoundLedger, { fromBlock, roundId, signal }: GetRoundCommittedEventsParameters): Promise<GetRoundCommittedEventsReturnType> {
  const { publicClient } = ledger.clients;
  const args = roundId === undefined ? undefined : { roundId };
  return withChainErrors(ledger, 'RoundCommitted logs', () => {
    signal?.throwIfAborted();
    // Strict: only logs that decode against the ABI, so every field is present.
    const logs = publicClient.getContractEvents({ address: ledger.address, abi: ledger.abi, eventName: 'RoundCommitted', args, fromBlock, toBlock: 'latest', strict: true });
    return abortable(logs, signal);
  });
}

export type CommitRoundParameters = FunctionParameters<'RoundLedger', 'commitRound'> & ActionOptions;
export type CommitRoundReturnType = SentTransaction & { committed: GetRoundCommittedEventsReturnType[number]['args'] };
export type CommitRoundErrorType = WriteErrorType<'RoundLedger'>;

/** Commits the next round (needs COORDINATOR_ROLE), waits for the receipt and returns the `RoundCommitted` event with it. */
export async function commitRound(ledger: RoundLedger, { record, signal }: CommitRoundParameters): Promise<CommitRoundReturnType> {
  const sent = await writeAndWait(ledger, 'commitRound', [record], signal);
  const [event] = parseEventLogs({ abi: ledger.abi, eventName: 'RoundCommitted', logs: sent.receipt.logs });
  return { ...sent, committed: event.args };
}

export type ChallengeWindowReturnType = ViewReturnType<'RoundLedger', 'challengeWindow'>;
export type ChallengeWindowErrorType = ReadErrorType<'RoundLedger'>;

/** Seconds a committed round stays challengeable before it is final (fixed at deployment). */
export function challengeWindow(ledger: RoundLedger, { signal }: ActionOptions = {}): Promise<ChallengeWindowReturnType> {
  return readView(ledger, 'challengeWindow', [], signal);
}

export type CommittedAtParameters = FunctionParameters<'RoundLedger', 'committedAt'> & ActionOptions;
export type CommittedAtReturnType = ViewReturnType<'RoundLedger', 'committedAt'>;
export type CommittedAtErrorType = ReadErrorType<'RoundLedger'>;

/** When round `roundId` was committed (0 for the genesis and rounds older than the ring); UnknownRound past the latest. */
export function committedAt(ledger: RoundLedger, { roundId, signal }: CommittedAtParameters): Promise<CommittedAtReturnType> {
  return readView(ledger, 'committedAt', [roundId], signal);
}

export type IsFinalParameters = FunctionParameters<'RoundLedger', 'isFinal'> & ActionOptions;
export type IsFinalReturnType = ViewReturnType<'RoundLedger', 'isFinal'>;
export type IsFinalErrorType = ReadErrorType<'RoundLedger'>;

/** Whether round `roundId` is final (committed and past its challenge window), as of the latest block. */
export function isFinal(ledger: RoundLedger, { roundId, signal }: IsFinalParameters): Promise<IsFinalReturnType> {
  return readView(ledger, 'isFinal', [roundId], signal);
}

export type CoordinatorReturnType = ViewReturnType<'RoundLedger', 'coordinator'>;
export type CoordinatorErrorType = ReadErrorType<'RoundLedger'>;

/** The current holder of COORDINATOR_ROLE (the zero address when revoked). */
export function coordinator(ledger: RoundLedger, { signal }: ActionOptions = {}): Promise<CoordinatorReturnType> {
  return readView(ledger, 'coordinator', [], signal);
}

export type CommitterOfParameters = FunctionParameters<'RoundLedger', 'committerOf'> & ActionOptions;
export type CommitterOfReturnType = ViewReturnType<'RoundLedger', 'committerOf'>;
export type CommitterOfErrorType = ReadErrorType<'RoundLedger'>;

/** The coordinator whose bond answers for round `roundId`. */
export function committerOf(ledger: RoundLedger, { roundId, signal }: CommitterOfParameters): Promise<CommitterOfReturnType> {
  return readView(ledger, 'committerOf', [roundId], signal);
}

export type SetCoordinatorParameters = FunctionParameters<'RoundLedger', 'setCoordinator'> & ActionOptions;
export type SetCoordinatorErrorType = WriteErrorType<'RoundLedger'>;

/** Moves COORDINATOR_ROLE to `newCoordinator` and revokes the previous one (admin: the timelock). */
export function setCoordinator(ledger: RoundLedger, { newCoordinator, signal }: SetCoordinatorParameters): Promise<SentTransaction> {
  return writeAndWait(ledger, 'setCoordinator', [newCoordinator], signal);
}

export type GetRoundsVoidedEventsParameters = ActionOptions & {
  /** First block searched (the ledger's deployment block finds every void). */
  fromBlock: bigint;
};
export type GetRoundsVoidedEventsReturnType = GetContractEventsReturnType<RoundLedger['abi'], 'RoundsVoided', true>;
export type GetRoundsVoidedEventsErrorType = ReadErrorType<'RoundLedger'>;

/** Every `RoundsVoided` event from `fromBlock` to the latest block, in chain order. */
export function getRoundsVoidedEvents(ledger: RoundLedger, { fromBlock, signal }: GetRoundsVoidedEventsParameters): Promise<GetRoundsVoidedEventsReturnType> {
  const { publicClient } = ledger.clients;
  return withChainErrors(ledger, 'RoundsVoided logs', () => {
    signal?.throwIfAborted();
    const logs = publicClient.getContractEvents({ address: ledger.address, abi: ledger.abi, eventName: 'RoundsVoided', fromBlock, toBlock: 'latest', strict: true });
    return abortable(logs, signal);
  });
}
