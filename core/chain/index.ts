// core/chain: viem clients, typed ABIs, one typed action per contract function (actions/),
// the wrapper classes over them, the deployments address book, deployment through Ignition and
// the local devnet.
export { gradnetTimelockAbi, gradnetTimelockBytecode } from './abi/GradnetTimelock.generated.ts';
export { gradTokenAbi, gradTokenBytecode } from './abi/GradToken.generated.ts';
export { nodeRegistryAbi, nodeRegistryBytecode } from './abi/NodeRegistry.generated.ts';
export { roundLedgerAbi, roundLedgerBytecode } from './abi/RoundLedger.generated.ts';
export { rewardVaultAbi, rewardVaultBytecode } from './abi/RewardVault.generated.ts';
export { roundChallengesAbi, roundChallengesBytecode } from './abi/RoundChallenges.generated.ts';
export { ChallengesClient, VERDICT_CODES, type VerdictSubmission } from './challenges.ts';
export { createChainClients, fetchChainId, type ChainClientOptions, type ChainClients } from './clients.ts';
export { assertDeployed, connectGradnet, type ConnectOptions, type GradnetChain } from './connect.ts';
export { DEPLOY_DEFAULTS, DEVNET_DEPLOY_DEFAULTS, ROLES } from './constants.ts';
export { deployGradnet, type DeployOptions, type DeployResult } from './deploy.ts';
export { defineGradnetModule, GRADNET_MODULE_ID } from './gradnet-module.ts';
export {
  CONTRACT_NAMES,
  DEFAULT_DEPLOYMENTS_DIR,
  deploymentsFile,
  loadDeployments,
  parseDeployments,
  writeDeployments,
  type ContractName,
  type DeployedContract,
  type Deployments,
} from './deployments.ts';
export { DEVNET_CHAIN_ID, DEVNET_HOST, startDevnet, type Devnet, type DevnetOptions } from './devnet.ts';
export { DEV_ONLY_MNEMONIC, devOnlyAccounts, type DevOnlyAccount } from './dev-accounts.ts';
export {
  ChainError,
  ChainIdMismatchError,
  ChainInputError,
  ContractMissingError,
  ContractRevertError,
  DeploymentsError,
  DevnetError,
  NoAccountError,
  RpcUnreachableError,
  TransactionFailedError,
  TransactionTimeoutError,
} from './errors.ts';
export { LedgerClient, MAX_PENDING_ROUNDS, searchLatestFinal, StoredRoundCache, toCommittedRound, type StoredRound, type CommittedRound, type RoundRecord, type RoundStatus, type VoidedRound } from './ledger.ts';
export {
  NODE_KEY_BINDING_TYPES,
  RegistryClient,
  RegistryReader,
  registryDomain,
  signNodeKeyBinding,
  type RegisteredNode,
  updateStruct,
  type SignedUpdateEvidence,
} from './registry.ts';
export { TimelockClient } from './timelock.ts';
export { TokenClient } from './token.ts';
export {
  abortable,
  activeStakeOf,
  allowance,
  approve,
  balanceOf,
  bondOf,
  challengeRound,
  challengerShareBps,
  challengeWindow,
  claim,
  claimed,
  commitRound,
  committedAt,
  committerOf,
  CONTRACT_ABIS,
  contractAt,
  coordinator,
  deployedAtBlock,
  execute,
  genesisModelHash,
  getMinDelay,
  getRound,
  getRoundChallengedEvents,
  getRoundCommittedEvents,
  getRoundsVoidedEvents,
  grantRole,
  hasRole,
  increaseStake,
  isActive,
  isFinal,
  latestModelHash,
  listNodes,
  maxRewardBudget,
  minStake,
  mint,
  nodeOf,
  ownerOf,
  postBond,
  register,
  requestExit,
  rewardsRootOf,
  rotateNodeKey,
  roundCount,
  schedule,
  setCoordinator,
  setMinStake,
  setUnbondingPeriod,
  slashedFor,
  slashEquivocation,
  thresholdBps,
  totalActiveStake,
  totalPaid,
  totalRewardBudget,
  totalSupply,
  transfer,
  unbondingPeriod,
  verdictDigest,
  withdraw,
  withdrawBond,
} from './actions/index.ts';
export type * from './actions/index.ts';
export { VaultClient, type ClaimedFigures, type RewardClaim } from './vault.ts';
