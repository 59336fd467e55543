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
export {
  bondOf,
  challengeRound,
  challengerShareBps,
  getRoundChallengedEvents,
  postBond,
  thresholdBps,
  verdictDigest,
  withdrawBond,
} from './challenges.ts';
export type * from './challenges.ts';
export { grantRole, hasRole, type AccessControlled } from './roles.ts';
export type * from './roles.ts';
export {
  challengeWindow,
  commitRound,
  committedAt,
  committerOf,
  coordinator,
  deployedAtBlock,
  genesisModelHash,
  getRound,
  getRoundCommittedEvents,
  getRoundsVoidedEvents,
  isFinal,
  latestModelHash,
  maxRewardBudget,
  rewardsRootOf,
  roundCount,
  setCoordinator,
  totalRewardBudget,
} from './ledger.ts';
export type * from './ledger.ts';
export {
  activeStakeOf,
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
  totalActiveStake,
  unbondingPeriod,
  withdraw,
} from './registry.ts';
export type * from './registry.ts';
export { allowance, approve, balanceOf, mint, totalSupply, transfer } from './token.ts';
export type * from './token.ts';
export { execute, getMinDelay, schedule } from './timelock.ts';
export type * from './timelock.ts';
export { claim, claimed, totalPaid } from './vault.ts';
export type * from './vault.ts';
