import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { keccak256, parseEther, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { connectGradnet, startDevnet, type GradnetChain } from '../../core/chain/index.ts';
import { gradnetDomain, signUpdate } from '../../core/protocol/index.ts';

// Gas of the hot transactions, measured on the in-process Hardhat (EDR) chain served by
// startDevnet. commitRound is measured for rounds with 1, 10, 100 and 1000 contributors, each
// with a real rewards tree of that many leaves; claim uses a proof from the 1000-leaf tree;
// slashEquivocation proves two updates signed as a daemon signs them.

const CONTRIBUTOR_COUNTS = [1, 10, 100, 1000] as const;
const LEAF_ENCODING = ['address', 'uint256', 'uint256', 'uint256'];

type Leaf = [Address, bigint, bigint, bigint];

/** A deterministic cumulative rewards tree of `size` owners; `holder` is the first leaf. */
function rewardsTree(size: number, round: number, holder: Address): StandardMerkleTree<Leaf> {
  const leaves: Leaf[] = Array.from({ length: size }, (_, i) => {
    const owner = i === 0 ? holder : privateKeyToAccount(keccak256(toHex(`gas-bench-owner-${i}`))).address;
    return [owner, parseEther(String(1 + (i % 7))) * BigInt(round), BigInt(600 * round + i), BigInt(round)];
  });
  return StandardMerkleTree.of(leaves, LEAF_ENCODING);
}

const nodeKey = (label: string): Hex => keccak256(toHex(label));

/** Gas of a typical registration: the very first one also creates the registry's token balance and enumeration array, so the second is measured. */
async function gasOfRegister(firstOwner: GradnetChain, secondOwner: GradnetChain): Promise<number> {
  const stake = parseEther('100');
  await firstOwner.registryClient.register(privateKeyToAccount(nodeKey('gas-bench-node-1')), stake);
  await secondOwner.token.approve(secondOwner.registryClient.address, stake);
  const sent = await secondOwner.registryClient.register(privateKeyToAccount(nodeKey('gas-bench-node-2')), stake);
  return Number(sent.gasUsed);
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

export async function run(_options: { jsonFile: string }): Promise<Record<string, unknown>> {
  const scratch = await mkdtemp(join(tmpdir(), 'gradnet-gas-'));
  // The bench's chain must not overwrite the address book of a devnet the user may be running.
  const devnet = await startDevnet({ port: 0, accounts: 4, deploy: { deploymentsFile: join(scratch, '31337.json') } });
  try {
    const [coordinatorKey, ownerA, ownerB, claimer] = devnet.accounts;
    const connect = (key: Hex): Promise<GradnetChain> => connectGradnet({ rpcUrl: devnet.rpcUrl, account: key, deployments: devnet.deployments });
    const coordinator = await connect(coordinatorKey.privateKey);
    const register = await gasOfRegister(await connect(ownerA.privateKey), await connect(ownerB.privateKey));

    const commitRound: Record<string, number> = {};
    let parentHash = await coordinator.ledger.latestModelHash();
    let lastTree: StandardMerkleTree<Leaf> | undefined;
    for (const [index, contributors] of CONTRIBUTOR_COUNTS.entries()) {
      const roundId = index + 1;
      const tree = rewardsTree(contributors, roundId, ownerA.address);
      const modelHash = keccak256(toHex(`gas-bench-model-${roundId}`));
      const sent = await coordinator.ledger.commitRound({
        roundId,
        modelHash,
        parentHash,
        updatesRoot: keccak256(toHex(`gas-bench-updates-${roundId}`)),
        rewardsRoot: tree.root as Hex,
        contributors,
        totalSamples: contributors * 600,
        loss: 312_345,
        accuracy: 912_345,
        rewardBudget: parseEther('1000'),
      });
      commitRound[String(contributors)] = Number(sent.gasUsed);
      parentHash = modelHash;
      lastTree = tree;
    }

    // A third party submits ownerA's first claim (ownerA holds tokens already, as staked owners do).
    const tree = lastTree!;
    const [leafIndex, leaf] = [...tree.entries()].find(([, value]) => value[0] === ownerA.address)!;
    const submitter = await connect(claimer.privateKey);
    const claimed = await submitter.vault.claim({
      roundId: CONTRIBUTOR_COUNTS.length,
      owner: leaf[0],
      cumulativeReward: leaf[1],
      cumulativeSamples: leaf[2],
      cumulativeRounds: leaf[3],
      proof: tree.getProof(leafIndex) as Hex[],
    });
    // The costliest case for comparison: an owner whose wallet holds no GRAD yet (its balance
    // slot goes from zero to non-zero).
    const [emptyIndex, emptyLeaf] = [...tree.entries()].find(([, value]) => value[0] !== ownerA.address)!;
    const emptyClaim = await submitter.vault.claim({
      roundId: CONTRIBUTOR_COUNTS.length,
      owner: emptyLeaf[0],
      cumulativeReward: emptyLeaf[1],
      cumulativeSamples: emptyLeaf[2],
      cumulativeRounds: emptyLeaf[3],
      proof: tree.getProof(emptyIndex) as Hex[],
    });
    const slashEquivocation = await gasOfSlashEquivocation(await connect(ownerB.privateKey));
    const commits = Object.values(commitRound);
    const spread = (Math.max(...commits) - Math.min(...commits)) / Math.min(...commits);
    return {
      suite: 'gas',
      register,
      slashEquivocation,
      claim: Number(claimed.gasUsed),
      commitRound,
      commitRoundSpread: Number(spread.toFixed(5)),
      claimToEmptyWallet: Number(emptyClaim.gasUsed),
      proofLength: tree.getProof(leafIndex).length,
    };
  } finally {
    await devnet.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
