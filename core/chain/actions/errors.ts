import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Abi, type ContractErrorName, type Hex } from 'viem';
import type { ContractName } from '../deployments.ts';
import {
  ContractRevertError,
  NoAccountError,
  RpcUnreachableError,
  TransactionFailedError,
  TransactionTimeoutError,
} from '../errors.ts';
import { CONTRACT_ABIS, type AbiOf, type ContractAt } from './contract.ts';

/**
 * The custom errors a call on each contract can revert with: its own, those of the contracts it
 * calls (reverts bubble up: a registry stake transfer fails inside the token), and Solidity's
 * built-in `Error(string)` and `Panic(uint256)`.
 */
export type RevertErrorName<name extends ContractName> =
  | ContractErrorName<AbiOf<name | CalledBy<name>>>
  | 'Error'
  | 'Panic';

type CalledBy<name extends ContractName> = {
  GradToken: never;
  NodeRegistry: 'GradToken';
  RoundLedger: never;
  RewardVault: 'GradToken' | 'RoundLedger';
  RoundChallenges: 'GradToken' | 'RoundLedger' | 'NodeRegistry';
  GradnetTimelock: 'GradToken' | 'RoundLedger' | 'NodeRegistry';
}[name];

/** What a view call on contract `name` can fail with. */
export type ReadErrorType<name extends ContractName> = ContractRevertError<RevertErrorName<name>> | RpcUnreachableError;

/** What a transaction on contract `name` can fail with. */
export type WriteErrorType<name extends ContractName> = ReadErrorType<name> | NoAccountError | TransactionFailedError | TransactionTimeoutError;

// Reverts are decoded against every error the gradnet contracts know, since they bubble up across contracts.
const ALL_ERRORS: Abi = dedupeErrors(Object.values(CONTRACT_ABIS).flat());

/** Maps a viem error to a gradnet ChainError: the decoded revert, or the unreachable RPC. */
export function toChainError(error: unknown, contract: Pick<ContractAt, 'clients' | 'name'>, functionName: string): Error {
  const rpcUrl = contract.clients.rpcUrl;
  if (!(error instanceof BaseError)) return error instanceof Error ? error : new Error(String(error));
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    // A revert without data (some endpoints send only the reason text) has no error name; the
    // message still carries the endpoint's reason.
    const decoded = decodeRevert(reverted.raw) ?? (reverted.data ? { errorName: reverted.data.errorName, args: reverted.data.args ?? [] } : undefined);
    return new ContractRevertError({ rpcUrl, contract: contract.name, functionName, errorName: decoded?.errorName, errorArgs: decoded?.args, cause: error });
  }
  const network = error.walk((e) => e instanceof BaseError && ['HttpRequestError', 'TimeoutError', 'WebSocketRequestError'].includes(e.name));
  if (network) return new RpcUnreachableError(rpcUrl, error);
  const decoded = decodeRevert(findRevertData(error));
  return new ContractRevertError({ rpcUrl, contract: contract.name, functionName, errorName: decoded?.errorName, errorArgs: decoded?.args, cause: error });
}

/** Runs one RPC call of `contract`, mapping its failure through toChainError. */
export async function withChainErrors<result>(contract: Pick<ContractAt, 'clients' | 'name'>, functionName: string, call: () => Promise<result>): Promise<result> {
  try {
    return await call();
  } catch (error) {
    throw toChainError(error, contract, functionName);
  }
}

function decodeRevert(data: Hex | undefined): { errorName: string; args: readonly unknown[] } | undefined {
  if (!data || data === '0x') return undefined;
  try {
    const result = decodeErrorResult({ abi: ALL_ERRORS, data });
    return { errorName: result.errorName, args: result.args ?? [] };
  } catch {
    return undefined;
  }
}

function findRevertData(error: BaseError): Hex | undefined {
  const isRevertData = (data: unknown): data is Hex => typeof data === 'string' && data.startsWith('0x');
  const withData = error.walk((e) => e instanceof Error && 'data' in e && isRevertData(e.data));
  return withData && 'data' in withData && isRevertData(withData.data) ? withData.data : undefined;
}

function dedupeErrors(abi: Abi): Abi {
  const seen = new Map<string, Abi[number]>();
  for (const item of abi) {
    if (item.type !== 'error') continue;
    const key = `${item.name}(${item.inputs.map((input) => input.type).join(',')})`;
    if (!seen.has(key)) seen.set(key, item);
  }
  return [...seen.values()];
}
