import type { ContractAt, FunctionParameters } from './contract.ts';
import type { ReadErrorType, WriteErrorType } from './errors.ts';
import type { ActionOptions } from './options.ts';
import { readView, type ViewReturnType } from './read.ts';
import { writeAndWait, type SentTransaction } from './write.ts';

// GradnetTimelock (OpenZeppelin's TimelockController): the admin of every gradnet contract. An
// admin action is scheduled by a proposer, waits getMinDelay() seconds, then runs by an executor.

type GradnetTimelock = ContractAt<'GradnetTimelock'>;

export type GetMinDelayReturnType = ViewReturnType<'GradnetTimelock', 'getMinDelay'>;
export type GetMinDelayErrorType = ReadErrorType<'GradnetTimelock'>;

/** Seconds between scheduling an admin action and executing it. */
export function getMinDelay(timelock: GradnetTimelock, { signal }: ActionOptions = {}): Promise<GetMinDelayReturnType> {
  return readView(timelock, 'getMinDelay', [], signal);
}

export type ScheduleParameters = FunctionParameters<'GradnetTimelock', 'schedule'> & ActionOptions;
export type ScheduleErrorType = WriteErrorType<'GradnetTimelock'>;

/** Schedules a call of `target` with `data` after `delay` seconds (PROPOSER_ROLE). */
export function schedule(timelock: GradnetTimelock, { target, value, data, predecessor, salt, delay, signal }: ScheduleParameters): Promise<SentTransaction> {
  return writeAndWait(timelock, 'schedule', [target, value, data, predecessor, salt, delay], signal);
}

export type ExecuteParameters = FunctionParameters<'GradnetTimelock', 'execute'> & ActionOptions;
export type ExecuteErrorType = WriteErrorType<'GradnetTimelock'>;

/** Runs a ready operation (EXECUTOR_ROLE); reverts with TimelockUnexpectedOperationState before its time. */
export function execute(timelock: GradnetTimelock, { target, value, payload, predecessor, salt, signal }: ExecuteParameters): Promise<SentTransaction> {
  return writeAndWait(timelock, 'execute', [target, value, payload, predecessor, salt], signal);
}
