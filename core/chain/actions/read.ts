import type { ContractFunctionArgs, ContractFunctionName, ContractFunctionReturnType } from 'viem';
import type { ContractName } from '../deployments.ts';
import { abortable } from './abortable.ts';
import type { AbiOf, ContractAt } from './contract.ts';
import { withChainErrors } from './errors.ts';

type ViewName<name extends ContractName> = ContractFunctionName<AbiOf<name>, 'view'>;
type ViewArgs<name extends ContractName, functionName extends ViewName<name>> = ContractFunctionArgs<AbiOf<name>, 'view', functionName>;

/** What view `functionName` of contract `name` returns, as viem decodes it. */
export type ViewReturnType<name extends ContractName, functionName extends ViewName<name>> = ContractFunctionReturnType<AbiOf<name>, 'view', functionName>;

/**
 * Calls a view function; arguments and result are typed by the contract's ABI, failures become
 * ContractRevertError or RpcUnreachableError naming the contract, the function and the RPC URL.
 */
export function readView<name extends ContractName, functionName extends ViewName<name>, const args extends ViewArgs<name, functionName>>(
  contract: ContractAt<name>,
  functionName: functionName,
  args: args,
  signal?: AbortSignal,
): Promise<ContractFunctionReturnType<AbiOf<name>, 'view', functionName, args>> {
  const { clients, address, abi } = contract;
  return withChainErrors(contract, functionName, () => {
    signal?.throwIfAborted();
    return abortable(clients.publicClient.readContract({ address, abi, functionName, args }), signal);
  });
}
