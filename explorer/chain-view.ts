import type { Address } from 'viem';
import {
  contractAt,
  getRoundCommittedEvents,
  getRoundsVoidedEvents,
  nodeRegistryAbi,
  rewardVaultAbi,
  roundChallengesAbi,
  toCommittedRound,
  type CommittedRound,
  type ContractAt,
  type GradnetChain,
  type RegisteredNode,
} from '../core/chain/index.ts';
import type { ChallengeSummary, RoundStatus, RoundSummary } from './model.ts';

/** What the chain says at one block: rounds, nodes, slashes and payouts. */
export interface ChainState {
  blockNumber: number;
  roundCount: number;
  latestModelHash: string;
  /**
   * Every round id's current commit (pending or final) and every commit a challenge voided,
   * oldest first (a voided commit before the one that replaced it).
   */
  rounds: RoundSummary[];
  nodes: RegisteredNode[];
  /** Challenges that voided rounds, oldest first. */
  challenges: ChallengeSummary[];
  /** Owners whose stake was taken for equivocation. */
  slashed: Set<string>;
  /** Wei the vault paid each owner (lower-case address), and in all. */
  paidByOwner: Map<string, bigint>;
  rewardsPaid: bigint;
  rewardsCommitted: bigint;
}

/**
 * Reads the chain for the explorer. Logs are read incrementally (each refresh asks only for the
 * blocks after the last one it read), so a ledger with hundreds of rounds costs one log query
 * per new block, not one per round.
 */
export class ChainView {
  readonly chainId: number;
  /** The address book, name → address. */
  readonly contracts: Record<string, string>;
  readonly #chain: GradnetChain;
  readonly #ledger: ContractAt<'RoundLedger'>;
  /** The current commit of each round id: logs come in chain order, so a later commit of an id replaces a voided one. */
  readonly #rounds = new Map<number, CommittedRound>();
  #voided: CommittedRound[] = [];
  readonly #challenges: ChallengeSummary[] = [];
  readonly #slashed = new Set<string>();
  readonly #paid = new Map<string, bigint>();
  /** The next block whose logs are still to read. */
  #fromBlock: bigint;

  constructor(chain: GradnetChain) {
    this.#chain = chain;
    this.chainId = chain.clients.chainId;
    this.contracts = Object.fromEntries(Object.entries(chain.deployments.contracts).map(([name, contract]) => [name, contract.address]));
    this.#ledger = contractAt(chain.clients, 'RoundLedger', chain.deployments.contracts.RoundLedger.address);
    const deployed = Math.min(...Object.values(chain.deployments.contracts).map((contract) => contract.blockNumber));
    this.#fromBlock = BigInt(deployed);
  }

  /** The current block number (the cheap question a watcher asks before anything else). */
  async blockNumber(signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    return Number(await this.#chain.clients.publicClient.getBlockNumber({ cacheTime: 0 }));
  }

  /** Everything at the latest block; only the logs of blocks not read before are fetched. */
  async read(signal?: AbortSignal): Promise<ChainState> {
    const { publicClient } = this.#chain.clients;
    const { contracts } = this.#chain.deployments;
    const blockNumber = await this.blockNumber(signal);
    const toBlock = BigInt(blockNumber);
    if (toBlock >= this.#fromBlock) {
      const range = { fromBlock: this.#fromBlock, toBlock, strict: true } as const;
      const [committed, voids, challenges, slashes, claims] = await Promise.all([
        getRoundCommittedEvents(this.#ledger, { fromBlock: this.#fromBlock, signal }),
        getRoundsVoidedEvents(this.#ledger, { fromBlock: this.#fromBlock, signal }),
        publicClient.getContractEvents({ address: contracts.RoundChallenges.address, abi: roundChallengesAbi, eventName: 'RoundChallenged', ...range }),
        publicClient.getContractEvents({ address: contracts.NodeRegistry.address, abi: nodeRegistryAbi, eventName: 'NodeSlashed', ...range }),
        publicClient.getContractEvents({ address: contracts.RewardVault.address, abi: rewardVaultAbi, eventName: 'RewardClaimed', ...range }),
      ]);
      // The round events are read up to 'latest', which may be past toBlock: keyed by round, a
      // round read twice is stored once.
      for (const event of committed) this.#rounds.set(Number(event.args.roundId), toCommittedRound(event));
      // Voids are rare: on a new one, ask the ledger which commits every void so far took back.
      if (voids.length > 0) this.#voided = await this.#chain.ledger.listVoidedRounds({ signal });
      for (const { args, blockNumber: block, transactionHash } of challenges) {
        this.#challenges.push({
          round: Number(args.roundId),
          throughRound: Number(args.throughRound),
          coordinator: args.coordinator,
          challenger: args.challenger,
          verdicts: Number(args.verdicts),
          stakeAgainst: args.stakeAgainst.toString(),
          totalActiveStake: args.totalActiveStake.toString(),
          bondSlashed: args.bondSlashed.toString(),
          block: Number(block),
          txHash: transactionHash,
        });
      }
      for (const { args } of slashes) this.#slashed.add(args.owner.toLowerCase());
      for (const { args } of claims) {
        const owner = args.owner.toLowerCase();
        this.#paid.set(owner, (this.#paid.get(owner) ?? 0n) + args.payout);
      }
      this.#fromBlock = toBlock + 1n;
    }
    const [roundCount, latestModelHash, nodes, rewardsCommitted, windowSeconds, block] = await Promise.all([
      this.#chain.ledger.roundCount({ signal }),
      this.#chain.ledger.latestModelHash({ signal }),
      this.#chain.registry.listNodes(),
      this.#chain.ledger.totalRewardBudget(),
      this.#chain.ledger.challengeWindow({ signal }),
      publicClient.getBlock({ blockNumber: toBlock }),
    ]);
    // Final once its challenge window passed as of the latest block's time: what RoundLedger.isFinal checks.
    // A devnet's block times run ahead of the wall clock (one second at least per block), so the
    // time a window ends is told on this machine's clock, shifted by how far the chain was ahead.
    const chainAheadMs = Number(block.timestamp) * 1000 - Date.now();
    const statusOf = (round: CommittedRound): RoundStatus => (BigInt(round.committedAt + windowSeconds) <= block.timestamp ? 'final' : 'pending');
    const rounds = [
      ...this.#voided.map((round) => summaryOf(round, 'voided', null)),
      ...[...this.#rounds.values()].filter((round) => round.roundId <= roundCount).map((round) => {
        const status = statusOf(round);
        return summaryOf(round, status, status === 'pending' ? (round.committedAt + windowSeconds) * 1000 - chainAheadMs : null);
      }),
    ].sort((a, b) => a.round - b.round || a.block - b.block);
    return {
      blockNumber,
      roundCount,
      latestModelHash,
      rounds,
      challenges: [...this.#challenges],
      nodes,
      slashed: new Set(this.#slashed),
      paidByOwner: new Map(this.#paid),
      rewardsPaid: [...this.#paid.values()].reduce((sum, paid) => sum + paid, 0n),
      rewardsCommitted,
    };
  }

  /** What the vault has paid `owner` (read from the contract, the figure `gradnet rewards` uses). */
  async claimed(owner: Address): Promise<bigint> {
    return (await this.#chain.vault.claimed(owner)).reward;
  }

  /** The rewards root the ledger holds for `round`. */
  rewardsRootOf(round: number): Promise<string> {
    return this.#chain.ledger.rewardsRootOf(round);
  }
}

function summaryOf(round: CommittedRound, status: RoundStatus, finalAtMs: number | null): RoundSummary {
  return {
    round: round.roundId,
    status,
    finalAtMs,
    modelHash: round.modelHash,
    parentHash: round.parentHash,
    contributors: round.contributors,
    samples: round.totalSamples,
    loss: round.loss,
    accuracy: round.accuracy,
    reward: round.rewardBudget.toString(),
    block: Number(round.blockNumber),
    committedMs: round.committedAt * 1000,
    txHash: round.transactionHash,
  };
}
