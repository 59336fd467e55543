import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { network } from 'hardhat';
import { getContract, keccak256, parseEther, toHex, type Address, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { gradnetTimelockAbi, gradTokenAbi, nodeRegistryAbi, rewardVaultAbi, roundChallengesAbi, roundLedgerAbi, signNodeKeyBinding } from '../../core/chain/index.ts';
import GradnetModule from '../../ignition/modules/Gradnet.ts';

// Shared by the contract tests: one Hardhat (EDR) connection, the gradnet deployment through the
// real Ignition module, and helpers for rounds with real rewards trees.

export const connection = await network.create();
export const { viem, networkHelpers, ignition } = connection;

export const MIN_STAKE = parseEther('100');
export const UNBONDING_PERIOD = 3_600n;
export const MAX_REWARD_BUDGET = parseEther('1000');
export const VAULT_FUNDING = parseEther('50000');
export const SLASH_BOUNTY_BPS = 1_000n;
export const CHALLENGE_WINDOW = 3_600n;
export const COORDINATOR_BOND = parseEther('500');
export const THRESHOLD_BPS = 3_334n;
export const CHALLENGER_SHARE_BPS = 2_000n;
export const TIMELOCK_DELAY = 86_400n;
export const TOKEN_CAP = parseEther('1000000000');
export const GENESIS = keccak256(toHex('test genesis model'));
export const ZERO_HASH = `0x${'00'.repeat(32)}` as Hex;

export { ROLES } from '../../core/chain/index.ts';

/** A deterministic hash for test labels. */
export function hash(label: string): Hex {
  return keccak256(toHex(label));
}

/**
 * The deployment through the real Ignition module. `admin` is the deployer (it keeps MINTER_ROLE)
 * and the timelock's governor (proposer and executor); the timelock is every contract's admin.
 */
export async function deployGradnet() {
  const [admin, coordinator, alice, bob, carol, dave, reporter, outsider] = await viem.getWalletClients();
  // Ignition's result type maps contract names through generated artifact typings, which the
  // type check does not load; only the addresses are used.
  const deployed: Record<'token' | 'registry' | 'ledger' | 'vault' | 'challenges' | 'timelock', { address: Address }> = await ignition.deploy(GradnetModule, {
    parameters: {
      Gradnet: {
        coordinator: coordinator.account.address,
        governor: admin.account.address,
        challengeWindow: CHALLENGE_WINDOW,
        coordinatorBond: COORDINATOR_BOND,
        challengeThresholdBps: THRESHOLD_BPS,
        challengerShareBps: CHALLENGER_SHARE_BPS,
        timelockDelay: TIMELOCK_DELAY,
        tokenCap: TOKEN_CAP,
        genesisModelHash: GENESIS,
        minStake: MIN_STAKE,
        unbondingPeriod: UNBONDING_PERIOD,
        maxRewardBudget: MAX_REWARD_BUDGET,
        vaultFunding: VAULT_FUNDING,
        slashBountyBps: SLASH_BOUNTY_BPS,
      },
    },
  });
  // Typed through the committed `as const` ABIs (which a test also checks against the artifacts).
  const publicClient = await viem.getPublicClient();
  const client = { public: publicClient, wallet: admin };
  const token = getContract({ address: deployed.token.address, abi: gradTokenAbi, client });
  const registry = getContract({ address: deployed.registry.address, abi: nodeRegistryAbi, client });
  const ledger = getContract({ address: deployed.ledger.address, abi: roundLedgerAbi, client });
  const vault = getContract({ address: deployed.vault.address, abi: rewardVaultAbi, client });
  const challenges = getContract({ address: deployed.challenges.address, abi: roundChallengesAbi, client });
  const timelock = getContract({ address: deployed.timelock.address, abi: gradnetTimelockAbi, client });
  for (const wallet of [alice, bob, carol, dave]) {
    await token.write.mint([wallet.account.address, parseEther('1000')]);
    await token.write.approve([registry.address, parseEther('1000')], { account: wallet.account });
  }
  return { token, registry, ledger, vault, challenges, timelock, publicClient, admin, coordinator, alice, bob, carol, dave, reporter, outsider };
}

export type Gradnet = Awaited<ReturnType<typeof deployGradnet>>;

/** A node key as a daemon holds it: the private key signs updates, the account signs the binding. */
export interface NodeKey {
  privateKey: Hex;
  account: LocalAccount;
  address: Address;
}

export function nodeKey(label: string): NodeKey {
  const privateKey = hash(label);
  const account = privateKeyToAccount(privateKey);
  return { privateKey, account, address: account.address };
}

/** `key`'s consent to be bound to `owner` in this deployment's registry domain (or `where` else). */
export async function binding(g: Gradnet, key: NodeKey, owner: Address, where: { chainId?: number; registry?: Address } = {}): Promise<Hex> {
  return signNodeKeyBinding(key.account, { owner, chainId: where.chainId ?? (await g.publicClient.getChainId()), registry: where.registry ?? g.registry.address });
}

/** `wallet` registers `key` with the key's signature. */
export async function registerNode(g: Gradnet, wallet: Gradnet['alice'], key: NodeKey, stake = MIN_STAKE): Promise<Hex> {
  return g.registry.write.register([key.address, stake, await binding(g, key, wallet.account.address)], { account: wallet.account });
}

let operations = 0;

/**
 * Runs an admin call through the timelock as the governor: schedules it, lets the delay pass,
 * executes it. Resolves with the execute transaction's hash.
 */
export async function govern(g: Gradnet, target: Address, data: Hex): Promise<Hex> {
  const salt = hash(`operation ${operations++}`);
  await g.timelock.write.schedule([target, 0n, data, ZERO_HASH, salt, TIMELOCK_DELAY], { account: g.admin.account });
  await networkHelpers.time.increase(TIMELOCK_DELAY);
  return g.timelock.write.execute([target, 0n, data, ZERO_HASH, salt], { account: g.admin.account });
}

/** Lets every committed round's challenge window pass. */
export async function finalize(): Promise<void> {
  await networkHelpers.time.increase(CHALLENGE_WINDOW);
}

export type RewardLeaf = [Address, bigint, bigint, bigint];

export function rewardsTree(leaves: RewardLeaf[]): StandardMerkleTree<RewardLeaf> {
  return StandardMerkleTree.of(leaves, ['address', 'uint256', 'uint256', 'uint256']);
}

/** The leaf of `owner` and its proof in `tree`. */
export function proofFor(tree: StandardMerkleTree<RewardLeaf>, owner: Address): { leaf: RewardLeaf; proof: Hex[] } {
  for (const [index, leaf] of tree.entries()) {
    if (leaf[0].toLowerCase() === owner.toLowerCase()) return { leaf, proof: tree.getProof(index) as Hex[] };
  }
  throw new Error(`${owner} is not in the tree`);
}

export interface RoundArgs {
  roundId: bigint;
  modelHash: Hex;
  parentHash: Hex;
  updatesRoot: Hex;
  rewardsRoot: Hex;
  contributors: number;
  totalSamples: bigint;
  loss: bigint;
  accuracy: number;
  rewardBudget: bigint;
}

/** A valid record for round `roundId` on top of `parentHash`. */
export function roundRecord(roundId: number, parentHash: Hex, overrides: Partial<RoundArgs> = {}): RoundArgs {
  return {
    roundId: BigInt(roundId),
    modelHash: hash(`model ${roundId}`),
    parentHash,
    updatesRoot: hash(`updates ${roundId}`),
    rewardsRoot: hash(`rewards ${roundId}`),
    contributors: 3,
    totalSamples: 1_800n,
    loss: 412_000n,
    accuracy: 871_000,
    rewardBudget: parseEther('100'),
    ...overrides,
  };
}

/** Commits the next rounds as the coordinator, each with its own rewards tree (budget: the tree's total, at least 100 GRAD). */
export async function commitRounds(g: Gradnet, trees: StandardMerkleTree<RewardLeaf>[]): Promise<void> {
  let parent = await g.ledger.read.latestModelHash();
  const start = Number(await g.ledger.read.roundCount());
  for (const [i, tree] of trees.entries()) {
    const promised = [...tree.entries()].reduce((sum, [, leaf]) => sum + leaf[1], 0n);
    const budget = promised > parseEther('100') ? promised : parseEther('100');
    const record = roundRecord(start + i + 1, parent, { rewardsRoot: tree.root as Hex, contributors: tree.length, rewardBudget: budget > MAX_REWARD_BUDGET ? MAX_REWARD_BUDGET : budget });
    await g.ledger.write.commitRound([record], { account: g.coordinator.account });
    parent = record.modelHash;
  }
}
