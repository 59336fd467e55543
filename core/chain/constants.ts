import { keccak256, parseEther, toHex, zeroHash } from 'viem';

/** AccessControl role ids of the gradnet contracts. */
export const ROLES = {
  /** DEFAULT_ADMIN_ROLE on every contract (grants the other roles). */
  admin: zeroHash,
  /** GradToken: may mint. */
  minter: keccak256(toHex('MINTER_ROLE')),
  /** RoundLedger: may commit rounds. */
  coordinator: keccak256(toHex('COORDINATOR_ROLE')),
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
} as const;

/** Chain ids of throwaway local chains (Hardhat, Anvil/Ganache): fast polling, one confirmation. */
export const LOCAL_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);
