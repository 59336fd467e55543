import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { keccak256, parseEther, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { connectGradnet, startDevnet, VERDICT_CODES, type Devnet, type GradnetChain, type RoundRecord } from '../../core/chain/index.ts';
import { gradnetDomain, signUpdate, signVerdict } from '../../core/protocol/index.ts';

// Gas of the hot transactions, measured on the in-process Hardhat (EDR) chain served by
// startDevnet. commitRound is measured for rounds with 1, 10, 100 and 1000 contributors, each
// with a real rewards tree of that many leaves; claim uses a proof from the 1000-leaf tree, under
// a final round, for an owner's first claim in three cases: registered with GRAD in its wallet (the
// headline figure), registered with an empty wallet (the token creates its balance slot), never
// registered with an empty wallet (the vault creates its account slot too, which registration
// otherwise does); slashEquivocation proves two updates signed as a daemon signs them;
// challengeRound submits 1, 10 and 50 mismatch verdicts signed as auditing daemons sign them.

const CONTRIBUTOR_COUNTS = [1, 10, 100, 1000] as const;
const VERDICT_COUNTS = [1, 10, 50] as const;
const LEAF_ENCODING = ['address', 'uint256', 'uint256', 'uint256'];
// Long enough for a challenge to land inside it, short enough to wait out before the claims.
const CHALLENGE_WINDOW_SECONDS = 10;
// Every verdict count must pass the threshold; the gas per verdict does not depend on it.
const CHALLENGE_THRESHOLD_BPS = 1;

type Leaf = [Address, bigint, bigint, bigint];

/** A deterministic cumulative rewards tree of `size` owners; `named` are the first leaves. */
function rewardsTree(size: number, round: number, named: readonly Address[]): StandardMerkleTree<Leaf> {
  const leaves: Leaf[] = Array.from({ length: size }, (_, i) => {
    const owner = named[i] ?? privateKeyToAccount(keccak256(toHex(`gas-bench-owner-${i}`))).address;
    return [owner, parseEther(String(1 + (i % 7))) * BigInt(round), BigInt(600 * round + i), BigInt(round)];
  });
  return StandardMerkleTree.of(leaves, LEAF_ENCODING);
}

const nodeKey = (label: string): Hex => keccak256(toHex(label));

const STAKE = parseEther('100');

/**
 * Gas of a typical registration: the very first one also creates the registry's token balance, so
 * the second is measured, with the exact approval `gradnet register` gives (the allowance goes back
 * to zero, which refunds gas), and a third with an allowance left over (no refund: the costlier case).
 */
async function gasOfRegister(firstOwner: GradnetChain, secondOwner: GradnetChain, thirdOwner: GradnetChain): Promise<{ exactApproval: number; allowanceLeftOver: number }> {
  await firstOwner.registryClient.register(privateKeyToAccount(nodeKey('gas-bench-node-1')), STAKE);
  await secondOwner.token.approve(secondOwner.registryClient.address, STAKE);
  const exact = await secondOwner.registryClient.register(privateKeyToAccount(nodeKey('gas-bench-node-2')), STAKE);
  await thirdOwner.token.approve(thirdOwner.registryClient.address, STAKE * 10n);
  const leftOver = await thirdOwner.registryClient.register(privateKeyToAccount(nodeKey('gas-bench-node-3')), STAKE);
  return { exactApproval: Number(exact.gasUsed), allowanceLeftOver: Number(leftOver.gasUsed) };
}

/** Gas of proving that gas-bench-node-1 signed two different updates for one round (the reporter already holds GRAD). */
async function gasOfSlashEquivocation(reporter: GradnetChain): Promise<number> {
  const domain = gradnetDomain(reporter.clients.chainId, reporter.deployments.contracts.RoundLedger.address);
  const update = (payload: string) => signUpdate({
    privateKey: nodeKey('gas-bench-node-1'),
    domain,
    round: 1,
    baseModelHash: keccak256(toHex('gas-bench-base')),
    samples: 600,
    trainLoss: 0.3,
    codec: 'topk',
    payload: new TextEncoder().encode(payload),
  });
  const sent = await reporter.registryClient.slashEquivocation(await update('first'), await update('second'));
  return Number(sent.gasUsed);
}

/** The next round on top of the ledger's head, with a 1000 GRAD budget and `tree`'s root. */
async function nextRound(coordinator: GradnetChain, label: string, contributors: number, tree: StandardMerkleTree<Leaf>): Promise<RoundRecord> {
  const roundId = (await coordinator.ledger.roundCount()) + 1;
  return {
    roundId,
    modelHash: keccak256(toHex(`gas-bench-model-${label}`)),
    parentHash: await coordinator.ledger.latestModelHash(),
    updatesRoot: keccak256(toHex(`gas-bench-updates-${label}`)),
    rewardsRoot: tree.root as Hex,
    contributors,
    totalSamples: contributors * 600,
    loss: 312_345,
    accuracy: 912_345,
    rewardBudget: parseEther('1000'),
  };
}

/** Registers one node per auditor account (as its own owner), so each verdict carries 100 GRAD of active stake. */
async function registerAuditors(devnet: Devnet, owners: readonly Devnet['accounts'][number][]): Promise<Hex[]> {
  // Each owner sends from its own account, so the registrations can run side by side.
  return Promise.all(owners.map(async (owner, i) => {
    const chain = await connectGradnet({ rpcUrl: devnet.rpcUrl, account: owner.privateKey, deployments: devnet.deployments });
    const key = nodeKey(`gas-bench-auditor-${i}`);
    await chain.registryClient.register(privateKeyToAccount(key), parseEther('100'));
    return key;
  }));
}

/**
 * Gas of challenging a fresh pending round with `auditors.length` mismatch verdicts: the verdicts are
 * signed before the commit, so the challenge lands well inside the window; the bond is topped up
 * first, so every challenge slashes the same bond.
 */
async function gasOfChallenge(coordinator: GradnetChain, challenger: GradnetChain, auditors: readonly Hex[], label: string): Promise<number> {
  await coordinator.challenges.postBond(parseEther('100'));
  const tree = rewardsTree(2, 1, [challenger.clients.account!.address]);
  const record = await nextRound(coordinator, `challenged-${label}`, 2, tree);
  const domain = gradnetDomain(coordinator.clients.chainId, coordinator.deployments.contracts.RoundLedger.address);
  const verdicts = await Promise.all(auditors.map(async (privateKey) => {
    const signed = await signVerdict({ privateKey, domain, round: record.roundId, modelHash: record.modelHash, rewardsRoot: record.rewardsRoot, verdict: 'mismatch' });
    return { nodeKey: signed.nodeKey, verdict: VERDICT_CODES.mismatch, signature: signed.signature };
  }));
  await coordinator.ledger.commitRound(record);
  const sent = await challenger.challenges.challengeRound(record.roundId, verdicts);
  return Number(sent.gasUsed);
}

export async function run(_options: { jsonFile: string }): Promise<Record<string, unknown>> {
  const scratch = await mkdtemp(join(tmpdir(), 'gradnet-gas-'));
  const auditorCount = Math.max(...VERDICT_COUNTS);
  // The bench's chain must not overwrite the address book of a devnet the user may be running.
  const devnet = await startDevnet({
    port: 0,
    accounts: 5 + auditorCount,
    deploy: { deploymentsFile: join(scratch, '31337.json'), challengeWindowSeconds: CHALLENGE_WINDOW_SECONDS, challengeThresholdBps: CHALLENGE_THRESHOLD_BPS },
  });
  try {
    const [coordinatorKey, ownerA, ownerB, ownerC, claimer, ...auditorOwners] = devnet.accounts;
    const connect = (key: Hex): Promise<GradnetChain> => connectGradnet({ rpcUrl: devnet.rpcUrl, account: key, deployments: devnet.deployments });
    const coordinator = await connect(coordinatorKey.privateKey);
    const register = await gasOfRegister(await connect(ownerA.privateKey), await connect(ownerB.privateKey), await connect(ownerC.privateKey));
    const auditors = await registerAuditors(devnet, auditorOwners);
    // Owner B, registered, sends the rest of its GRAD away: its wallet is empty when its reward arrives.
    const emptied = await connect(ownerB.privateKey);
    await emptied.token.transfer(claimer.address, await emptied.token.balanceOf(ownerB.address));
    const neverRegistered = privateKeyToAccount(keccak256(toHex('gas-bench-never-registered'))).address;
    const claimants = [ownerA.address, ownerB.address, neverRegistered];

    const commitRound: Record<string, number> = {};
    let lastTree: StandardMerkleTree<Leaf> | undefined;
    let claimRound = 0;
    for (const contributors of CONTRIBUTOR_COUNTS) {
      const tree = rewardsTree(contributors, (await coordinator.ledger.roundCount()) + 1, claimants);
      const record = await nextRound(coordinator, String(contributors), contributors, tree);
      const sent = await coordinator.ledger.commitRound(record);
      commitRound[String(contributors)] = Number(sent.gasUsed);
      lastTree = tree;
      claimRound = record.roundId;
    }
    const claimableAt = (await coordinator.ledger.committedAt(claimRound)) + CHALLENGE_WINDOW_SECONDS;

    const submitter = await connect(claimer.privateKey);
    const challengeRound: Record<string, number> = {};
    for (const count of VERDICT_COUNTS) {
      challengeRound[String(count)] = await gasOfChallenge(coordinator, submitter, auditors.slice(0, count), String(count));
    }

    // Claims wait for the round's challenge window (a new block's time follows the wall clock).
    await sleep(Math.max(0, claimableAt * 1_000 - Date.now()) + 1_000);
    // A third party submits each owner's first claim under the same round (proofs of equal length).
    const tree = lastTree!;
    const leafIndexOf = (owner: Address): number => [...tree.entries()].find(([, value]) => value[0] === owner)![0];
    const firstClaim = async (owner: Address): Promise<number> => {
      const leafIndex = leafIndexOf(owner);
      const leaf = tree.at(leafIndex)!;
      const sent = await submitter.vault.claim({
        roundId: claimRound,
        owner,
        cumulativeReward: leaf[1],
        cumulativeSamples: leaf[2],
        cumulativeRounds: leaf[3],
        proof: tree.getProof(leafIndex) as Hex[],
      });
      return Number(sent.gasUsed);
    };
    const [claim, claimToEmptyWallet, claimNeverRegistered] = [await firstClaim(ownerA.address), await firstClaim(ownerB.address), await firstClaim(neverRegistered)];
    const slashEquivocation = await gasOfSlashEquivocation(await connect(ownerC.privateKey));
    const commits = Object.values(commitRound);
    const spread = (Math.max(...commits) - Math.min(...commits)) / Math.min(...commits);
    const [fewest, most] = [VERDICT_COUNTS[0], VERDICT_COUNTS[VERDICT_COUNTS.length - 1]];
    const perVerdict = (challengeRound[String(most)] - challengeRound[String(fewest)]) / (most - fewest);
    return {
      suite: 'gas',
      register: register.exactApproval,
      registerAllowanceLeftOver: register.allowanceLeftOver,
      slashEquivocation,
      claim,
      commitRound,
      commitRoundSpread: Number(spread.toFixed(5)),
      challengeRound,
      challengeRoundPerVerdict: Math.round(perVerdict),
      claimToEmptyWallet,
      claimNeverRegistered,
      proofLength: tree.getProof(leafIndexOf(ownerA.address)).length,
    };
  } finally {
    await devnet.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
