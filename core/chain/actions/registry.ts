import type { ContractAt, FunctionParameters } from './contract.ts';
import type { ReadErrorType, WriteErrorType } from './errors.ts';
import type { ActionOptions } from './options.ts';
import { readView, type ViewReturnType } from './read.ts';
import { writeAndWait, type SentTransaction } from './write.ts';

// NodeRegistry: staked nodes, keyed by owner, each with one node key. Reads fail with
// ReadErrorType<'NodeRegistry'>, transactions with WriteErrorType<'NodeRegistry'>.

type NodeRegistry = ContractAt<'NodeRegistry'>;

export type IsActiveParameters = FunctionParameters<'NodeRegistry', 'isActive'> & ActionOptions;
export type IsActiveReturnType = ViewReturnType<'NodeRegistry', 'isActive'>;
export type IsActiveErrorType = ReadErrorType<'NodeRegistry'>;

/** Whether `nodeKey` is the current key of a staked, non-exiting node. */
export function isActive(registry: NodeRegistry, { nodeKey, signal }: IsActiveParameters): Promise<IsActiveReturnType> {
  return readView(registry, 'isActive', [nodeKey], signal);
}

export type OwnerOfParameters = FunctionParameters<'NodeRegistry', 'ownerOf'> & ActionOptions;
export type OwnerOfReturnType = ViewReturnType<'NodeRegistry', 'ownerOf'>;
export type OwnerOfErrorType = ReadErrorType<'NodeRegistry'>;

/** The owner bound to `nodeKey`; the zero address if the key was never registered. */
export function ownerOf(registry: NodeRegistry, { nodeKey, signal }: OwnerOfParameters): Promise<OwnerOfReturnType> {
  return readView(registry, 'ownerOf', [nodeKey], signal);
}

export type NodeOfParameters = FunctionParameters<'NodeRegistry', 'nodeOf'> & ActionOptions;
export type NodeOfReturnType = ViewReturnType<'NodeRegistry', 'nodeOf'>;
export type NodeOfErrorType = ReadErrorType<'NodeRegistry'>;

/** The node of `owner` (its nodeKey is the zero address when it has none). */
export function nodeOf(registry: NodeRegistry, { owner, signal }: NodeOfParameters): Promise<NodeOfReturnType> {
  return readView(registry, 'nodeOf', [owner], signal);
}

export type ListNodesParameters = FunctionParameters<'NodeRegistry', 'listNodes'> & ActionOptions;
export type ListNodesReturnType = ViewReturnType<'NodeRegistry', 'listNodes'>;
export type ListNodesErrorType = ReadErrorType<'NodeRegistry'>;

/** One page of owners in registration order, with their nodes. */
export function listNodes(registry: NodeRegistry, { offset, limit, signal }: ListNodesParameters): Promise<ListNodesReturnType> {
  return readView(registry, 'listNodes', [offset, limit], signal);
}

export type MinStakeReturnType = ViewReturnType<'NodeRegistry', 'minStake'>;
export type MinStakeErrorType = ReadErrorType<'NodeRegistry'>;

export function minStake(registry: NodeRegistry, { signal }: ActionOptions = {}): Promise<MinStakeReturnType> {
  return readView(registry, 'minStake', [], signal);
}

export type UnbondingPeriodReturnType = ViewReturnType<'NodeRegistry', 'unbondingPeriod'>;
export type UnbondingPeriodErrorType = ReadErrorType<'NodeRegistry'>;

/** Seconds between an exit request and the withdrawal it allows. */
export function unbondingPeriod(registry: NodeRegistry, { signal }: ActionOptions = {}): Promise<UnbondingPeriodReturnType> {
  return readView(registry, 'unbondingPeriod', [], signal);
}

export type RegisterParameters = FunctionParameters<'NodeRegistry', 'register'> & ActionOptions;
export type RegisterErrorType = WriteErrorType<'NodeRegistry'>;

/**
 * Registers `nodeKey` for the sending account with `stake`, which the registry must be approved to
 * take; `nodeKeySignature` is the node key's EIP-712 signature over the owner (signNodeKeyBinding).
 */
export function register(registry: NodeRegistry, { nodeKey, stake, nodeKeySignature, signal }: RegisterParameters): Promise<SentTransaction> {
  return writeAndWait(registry, 'register', [nodeKey, stake, nodeKeySignature], signal);
}

export type IncreaseStakeParameters = FunctionParameters<'NodeRegistry', 'increaseStake'> & ActionOptions;
export type IncreaseStakeErrorType = WriteErrorType<'NodeRegistry'>;

export function increaseStake(registry: NodeRegistry, { amount, signal }: IncreaseStakeParameters): Promise<SentTransaction> {
  return writeAndWait(registry, 'increaseStake', [amount], signal);
}

export type RotateNodeKeyParameters = FunctionParameters<'NodeRegistry', 'rotateNodeKey'> & ActionOptions;
export type RotateNodeKeyErrorType = WriteErrorType<'NodeRegistry'>;

/** Replaces the sending account's node key with `newKey`, which signed the owner (signNodeKeyBinding). */
export function rotateNodeKey(registry: NodeRegistry, { newKey, nodeKeySignature, signal }: RotateNodeKeyParameters): Promise<SentTransaction> {
  return writeAndWait(registry, 'rotateNodeKey', [newKey, nodeKeySignature], signal);
}

export type RequestExitErrorType = WriteErrorType<'NodeRegistry'>;

/** Starts the unbonding period of the sending account's node. */
export function requestExit(registry: NodeRegistry, { signal }: ActionOptions = {}): Promise<SentTransaction> {
  return writeAndWait(registry, 'requestExit', [], signal);
}

export type WithdrawErrorType = WriteErrorType<'NodeRegistry'>;

/** Returns the stake once the unbonding period is over. */
export function withdraw(registry: NodeRegistry, { signal }: ActionOptions = {}): Promise<SentTransaction> {
  return writeAndWait(registry, 'withdraw', [], signal);
}

export type SlashEquivocationParameters = FunctionParameters<'NodeRegistry', 'slashEquivocation'> & ActionOptions;
export type SlashEquivocationErrorType = WriteErrorType<'NodeRegistry'>;

/**
 * Proves that one node key signed two different updates for one round and base model; the registry
 * checks both signatures, takes the node's whole stake and pays the sender the reporter's bounty.
 */
export function slashEquivocation(registry: NodeRegistry, { first, firstSignature, second, secondSignature, signal }: SlashEquivocationParameters): Promise<SentTransaction> {
  return writeAndWait(registry, 'slashEquivocation', [first, firstSignature, second, secondSignature], signal);
}

export type SlashedForParameters = FunctionParameters<'NodeRegistry', 'slashedFor'> & ActionOptions;
export type SlashedForReturnType = ViewReturnType<'NodeRegistry', 'slashedFor'>;
export type SlashedForErrorType = ReadErrorType<'NodeRegistry'>;

/** Whether `nodeKey` was already slashed for equivocating in `round`. */
export function slashedFor(registry: NodeRegistry, { nodeKey, round, signal }: SlashedForParameters): Promise<SlashedForReturnType> {
  return readView(registry, 'slashedFor', [nodeKey, round], signal);
}

export type SetMinStakeParameters = FunctionParameters<'NodeRegistry', 'setMinStake'> & ActionOptions;
export type SetMinStakeErrorType = WriteErrorType<'NodeRegistry'>;

export function setMinStake(registry: NodeRegistry, { newMinStake, signal }: SetMinStakeParameters): Promise<SentTransaction> {
  return writeAndWait(registry, 'setMinStake', [newMinStake], signal);
}

export type SetUnbondingPeriodParameters = FunctionParameters<'NodeRegistry', 'setUnbondingPeriod'> & ActionOptions;
export type SetUnbondingPeriodErrorType = WriteErrorType<'NodeRegistry'>;

export function setUnbondingPeriod(registry: NodeRegistry, { newPeriod, signal }: SetUnbondingPeriodParameters): Promise<SentTransaction> {
  return writeAndWait(registry, 'setUnbondingPeriod', [newPeriod], signal);
}

export type TotalActiveStakeReturnType = ViewReturnType<'NodeRegistry', 'totalActiveStake'>;
export type TotalActiveStakeErrorType = ReadErrorType<'NodeRegistry'>;

/** The stake of every registered, non-exiting node: what challenge thresholds are measured against. */
export function totalActiveStake(registry: NodeRegistry, { signal }: ActionOptions = {}): Promise<TotalActiveStakeReturnType> {
  return readView(registry, 'totalActiveStake', [], signal);
}

export type ActiveStakeOfParameters = FunctionParameters<'NodeRegistry', 'activeStakeOf'> & ActionOptions;
export type ActiveStakeOfReturnType = ViewReturnType<'NodeRegistry', 'activeStakeOf'>;
export type ActiveStakeOfErrorType = ReadErrorType<'NodeRegistry'>;

/** The stake behind `nodeKey` when it is active, else 0 (what its verdict weighs in a challenge). */
export function activeStakeOf(registry: NodeRegistry, { nodeKey, signal }: ActiveStakeOfParameters): Promise<ActiveStakeOfReturnType> {
  return readView(registry, 'activeStakeOf', [nodeKey], signal);
}
