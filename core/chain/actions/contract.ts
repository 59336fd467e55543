import type { AbiParameterToPrimitiveType, Address } from 'viem';
import { gradnetTimelockAbi } from '../abi/GradnetTimelock.generated.ts';
import { gradTokenAbi } from '../abi/GradToken.generated.ts';
import { nodeRegistryAbi } from '../abi/NodeRegistry.generated.ts';
import { rewardVaultAbi } from '../abi/RewardVault.generated.ts';
import { roundChallengesAbi } from '../abi/RoundChallenges.generated.ts';
import { roundLedgerAbi } from '../abi/RoundLedger.generated.ts';
import type { ChainClients } from '../clients.ts';
import type { ContractName } from '../deployments.ts';

/** The generated `as const` ABI of each gradnet contract: every action's types are inferred from these. */
export const CONTRACT_ABIS = {
  GradToken: gradTokenAbi,
  NodeRegistry: nodeRegistryAbi,
  RoundLedger: roundLedgerAbi,
  RewardVault: rewardVaultAbi,
  RoundChallenges: roundChallengesAbi,
  GradnetTimelock: gradnetTimelockAbi,
} as const;

export type AbiOf<name extends ContractName> = (typeof CONTRACT_ABIS)[name];

/** What an action runs against: one gradnet contract at an address, through the chain clients. */
export interface ContractAt<name extends ContractName = ContractName> {
  clients: ChainClients;
  name: name;
  address: Address;
  abi: AbiOf<name>;
}

export function contractAt<name extends ContractName>(clients: ChainClients, name: name, address: Address): ContractAt<name> {
  return { clients, name, address, abi: CONTRACT_ABIS[name] };
}

type FunctionInputs<name extends ContractName, functionName extends string> = Extract<AbiOf<name>[number], { type: 'function'; name: functionName }>['inputs'];

/**
 * The inputs of `functionName` as an object keyed by the ABI's parameter names, so
 * `FunctionParameters<'RoundLedger', 'getRound'>` is `{ roundId: bigint }`.
 */
export type FunctionParameters<name extends ContractName, functionName extends string> = {
  [input in FunctionInputs<name, functionName>[number] as input['name']]: AbiParameterToPrimitiveType<input>;
};
