import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  type Abi,
  type Address,
  type Hash,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { gradTokenAbi } from './abi/GradToken.generated.ts';
import { nodeRegistryAbi } from './abi/NodeRegistry.generated.ts';
import { rewardVaultAbi } from './abi/RewardVault.generated.ts';
import { roundLedgerAbi } from './abi/RoundLedger.generated.ts';
import type { ChainClients } from './clients.ts';
import { ContractRevertError, NoAccountError, RpcUnreachableError, TransactionFailedError, TransactionTimeoutError } from './errors.ts';

/** What a wrapper needs to know about the contract it calls. */
export interface ContractTarget {
  clients: ChainClients;
  name: string;
  address: Address;
  abi: Abi;
}

/** The outcome of a mined, successful transaction. */
export interface SentTransaction {
  hash: Hash;
  blockNumber: bigint;
  gasUsed: bigint;
  receipt: TransactionReceipt;
}

// Errors bubble up across contracts (a vault claim can revert inside the token), so reverts are
// decoded against every error the four contracts know.
const ALL_ERRORS: Abi = dedupeErrors([...gradTokenAbi, ...nodeRegistryAbi, ...roundLedgerAbi, ...rewardVaultAbi]);

/** Reads a view function; failures name the contract, the function and the RPC URL. */
export async function readContract<T>(target: ContractTarget, functionName: string, args: readonly unknown[] = []): Promise<T> {
  try {
    return (await target.clients.publicClient.readContract({ address: target.address, abi: target.abi, functionName, args })) as T;
  } catch (error) {
    throw toChainError(error, target, functionName);
  }
}

/**
 * Sends a transaction and waits for its receipt. Reverts caught at gas estimation come back as
 * ContractRevertError with the decoded custom error; a failed receipt as TransactionFailedError.
 */
export async function writeContract(
  target: ContractTarget,
  functionName: string,
  args: readonly unknown[],
  options: { signal?: AbortSignal } = {},
): Promise<SentTransaction> {
  const { walletClient, publicClient, account, rpcUrl } = target.clients;
  if (!walletClient || !account) throw new NoAccountError(`${target.name}.${functionName}`);
  options.signal?.throwIfAborted();
  let hash: Hash;
  try {
    hash = await walletClient.writeContract({ address: target.address, abi: target.abi, functionName, args, account, chain: walletClient.chain });
  } catch (error) {
    throw toChainError(error, target, functionName);
  }
  let receipt: TransactionReceipt;
  try {
    receipt = await abortable(publicClient.waitForTransactionReceipt({ hash, timeout: target.clients.receiptTimeoutMs }), options.signal);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    if (error instanceof BaseError && error.name === 'WaitForTransactionReceiptTimeoutError') {
      throw new TransactionTimeoutError(rpcUrl, `${target.name}.${functionName}`, hash, target.clients.receiptTimeoutMs);
    }
    throw toChainError(error, target, functionName);
  }
  if (receipt.status !== 'success') throw new TransactionFailedError(rpcUrl, `${target.name}.${functionName}`, hash);
  return { hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, receipt };
}

/** Maps a viem error to a gradnet ChainError: decoded revert, or unreachable RPC. */
export function toChainError(error: unknown, target: ContractTarget, functionName: string): Error {
  const rpcUrl = target.clients.rpcUrl;
  if (!(error instanceof BaseError)) return error instanceof Error ? error : new Error(String(error));
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    const decoded = decodeRevert(reverted.raw) ?? (reverted.data ? { errorName: reverted.data.errorName, args: reverted.data.args ?? [] } : undefined);
    return new ContractRevertError({
      rpcUrl,
      contract: target.name,
      functionName,
      errorName: decoded?.errorName ?? reverted.reason,
      errorArgs: decoded?.args ?? [],
      cause: error,
    });
  }
  const network = error.walk((e) => {
    const name = (e as { name?: string }).name;
    return name === 'HttpRequestError' || name === 'TimeoutError' || name === 'WebSocketRequestError';
  });
  if (network) return new RpcUnreachableError(rpcUrl, error);
  const raw = findRevertData(error);
  const decoded = decodeRevert(raw);
  if (decoded) return new ContractRevertError({ rpcUrl, contract: target.name, functionName, errorName: decoded.errorName, errorArgs: decoded.args, cause: error });
  return new ContractRevertError({ rpcUrl, contract: target.name, functionName, cause: error });
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
  const withData = error.walk((e) => typeof (e as { data?: unknown }).data === 'string' && String((e as { data: string }).data).startsWith('0x'));
  return withData ? ((withData as unknown as { data: Hex }).data) : undefined;
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

/** Rejects with the signal's reason when it aborts before `promise` settles. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
