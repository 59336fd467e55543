// core/chain/actions: one typed function per contract action, in viem's style:
// `getRound(ledger, { roundId })`, where `ledger = contractAt(clients, 'RoundLedger', address)`.
// Parameter, return and error types are inferred from the generated `as const` ABIs; reverts
// surface as ContractRevertError naming the decoded custom error, a dead endpoint as
// RpcUnreachableError. The wrapper classes of core/chain are thin objects over these.
export { abortable } from './abortable.ts';
export { CONTRACT_ABIS, contractAt, type AbiOf, type ContractAt, type FunctionParameters } from './contract.ts';
export type { ReadErrorType, RevertErrorName, WriteErrorType } from './errors.ts';
export type { ActionOptions } from './options.ts';
export type { ViewReturnType } from './read.ts';
export type { SentTransaction } from './write.ts';
export { grantRole, hasRole, type AccessControlled } from './roles.ts';
export type * from './roles.ts';
export {
  commitRound,
  deployedAtBlock,
  genesisModelHash,
  getRound,
  getRoundCommittedEvents,
  latestModelHash,
  maxRewardBudget,
  rewardsRootOf,
  roundCount,
  totalRewardBudget,
} from './ledger.ts';
export type * from './ledger.ts';
export {
  increaseStake,
  isActive,
  listNodes,
  minStake,
  nodeOf,
  ownerOf,
  register,
  requestExit,
  rotateNodeKey,
  setMinStake,
  setUnbondingPeriod,
  slashedFor,
  slashEquivocation,
  unbondingPeriod,
  withdraw,
} from './registry.ts';
export type * from './registry.ts';
export { allowance, approve, balanceOf, mint, totalSupply, transfer } from './token.ts';
export type * from './token.ts';
export { claim, claimed } from './vault.ts';
export type * from './vault.ts';
