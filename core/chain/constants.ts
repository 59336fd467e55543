import { keccak256, parseEther, toHex, zeroHash } from 'viem';

/** AccessControl role ids of the gradnet contracts. */
export const ROLES = {
  /** DEFAULT_ADMIN_ROLE on every contract (grants the other roles). */
  admin: zeroHash,
  /** GradToken: may mint. */
  minter: keccak256(toHex('MINTER_ROLE')),
  /** RoundLedger: may commit rounds (one holder at a time). */
  coordinator: keccak256(toHex('COORDINATOR_ROLE')),
  /** GradnetTimelock: may schedule (and cancel) admin calls. */
  proposer: keccak256(toHex('PROPOSER_ROLE')),
  /** GradnetTimelock: may execute admin calls once their delay is over. */
  executor: keccak256(toHex('EXECUTOR_ROLE')),
} as const;

/** Deployment defaults shared by `deployGradnet`, `gradnet devnet` and the Ignition module. */
export const DEPLOY_DEFAULTS = {
  minStake: parseEther('100'),
  unbondingPeriodSeconds: 3_600,
  maxRewardBudget: parseEther('10000'),
  vaultFunding: parseEther('1000000'),
  /** Share of a slashed stake paid to whoever proves the equivocation, in basis points (10%). */
  slashBountyBps: 1_000,
  /** Placeholder genesis for chains whose first model is not fixed; pass modelHash(initial model). */
  genesisModelHash: keccak256(toHex('gradnet:genesis')),
  /** Seconds each committed round stays challengeable before its rewards are claimable. */
  challengeWindowSeconds: 3_600,
  /** Tokens the deployment mints and posts as the coordinator's bond, slashed by a successful challenge. */
  coordinatorBond: parseEther('1000'),
  /** Share of the total active stake whose verdicts void a round, in basis points (one third). */
  challengeThresholdBps: 3_334,
  /** Share of a slashed bond paid to whoever submits the challenge, in basis points (20%). */
  challengerShareBps: 2_000,
  /** Seconds every admin action waits in the timelock before it can run (2 days). */
  timelockDelaySeconds: 172_800,
  /** The most GRAD that can ever exist (the token's cap, fixed at deployment). */
  tokenCap: parseEther('1000000000'),
} as const;

/** What `gradnet devnet` changes from DEPLOY_DEFAULTS: a throwaway chain wants short waits. */
export const DEVNET_DEPLOY_DEFAULTS = {
  challengeWindowSeconds: 10,
  timelockDelaySeconds: 0,
} as const;

/** Chain ids of throwaway local chains (Hardhat, Anvil/Ganache): fast polling, one confirmation. */
export const LOCAL_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);
