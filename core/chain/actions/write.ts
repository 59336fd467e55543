import { BaseError, type Abi, type ContractFunctionArgs, type ContractFunctionName, type Hash, type TransactionReceipt } from 'viem';
import type { ContractName } from '../deployments.ts';
import { NoAccountError, TransactionFailedError, TransactionTimeoutError } from '../errors.ts';
import { abortable } from './abortable.ts';
import type { AbiOf, ContractAt } from './contract.ts';
import { toChainError, withChainErrors } from './errors.ts';

/** The outcome of a mined, successful transaction. */
export interface SentTransaction {
  hash: Hash;
  blockNumber: bigint;
  gasUsed: bigint;
  receipt: TransactionReceipt;
}

// The timelock's `execute` is payable (it may forward value); gradnet sends none.
type WriteMutability = 'nonpayable' | 'payable';
type WriteName<name extends ContractName> = ContractFunctionName<AbiOf<name>, WriteMutability>;

/**
 * Sends a transaction to `functionName` (arguments typed by the contract's ABI) and waits for its
 * receipt. A revert caught at gas estimation comes back as ContractRevertError with the decoded
 * custom error; a failed receipt as TransactionFailedError; no receipt in time as TransactionTimeoutError.
 */
export async function writeAndWait<name extends ContractName, functionName extends WriteName<name>, const args extends ContractFunctionArgs<AbiOf<name>, WriteMutability, functionName> & readonly unknown[]>(
  contract: ContractAt<name>,
  functionName: functionName,
  args: args,
  signal?: AbortSignal,
): Promise<SentTransaction> {
  const { clients, address, abi } = contract;
  const { walletClient, publicClient, account, rpcUrl } = clients;
  const description = `${contract.name}.${functionName}`;
  if (!walletClient || !account) throw new NoAccountError(description);
  signal?.throwIfAborted();
  // The signature above checks the call against the ABI; viem's own generics cannot be satisfied
  // from inside a generic function, so the call goes through with the ABI widened (no cast).
  const call: { abi: Abi; functionName: string; args: readonly unknown[] } = { abi, functionName, args };
  const hash = await withChainErrors(contract, functionName, () => walletClient.writeContract({ address, ...call, account, chain: walletClient.chain }));
  let receipt: TransactionReceipt;
  try {
    receipt = await abortable(publicClient.waitForTransactionReceipt({ hash, timeout: clients.receiptTimeoutMs }), signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    if (error instanceof BaseError && error.name === 'WaitForTransactionReceiptTimeoutError') {
      throw new TransactionTimeoutError(rpcUrl, description, hash, clients.receiptTimeoutMs);
    }
    throw toChainError(error, contract, functionName);
  }
  if (receipt.status !== 'success') throw new TransactionFailedError(rpcUrl, description, hash);
  return { hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, receipt };
}
