import { getAddress, zeroAddress, type Address, type Hex } from 'viem';
import type { RegisteredNode } from '../core/chain/index.ts';
import { errorMessage } from '../core/errors.ts';
import { verifyRewardProof } from '../core/rewards/index.ts';
import { sleep } from '../core/time/index.ts';
import type { ChainState, ChainView } from './chain-view.ts';
import type { CoordinatorApi } from './coordinator-api.ts';
import { CoordinatorApiError, ExplorerRequestError } from './errors.ts';
import type { AuditVerdict, CoordinatorStatus, NodeRow, NodesPage, NodeState, Overview, OwnerPage, RoundDetail, RoundUpdate } from './model.ts';

/** How the page names the chain and the coordinator in the claim command it prints. */
export interface ExplorerIdentity {
  rpcUrl: string;
  deploymentsFile?: string;
}

/** The coordinator's `/rounds/:round` body, the fields the explorer reads. */
interface ApiRound {
  state: string;
  modelHash: string | null;
  stats: null | ({ updates?: ApiUpdateStats[] } & Record<string, unknown>);
  updatesPage: { total: number };
  refusals: { entries: number; messages: number };
  updates: { nodeKey: string | null; digest: string | null; verdict: string; reason: string | null; samples: number; trainLoss: number; score: number | null }[];
  rewards: { owner: string; amount: string; samples: number; counted: boolean }[];
  verdicts?: { nodeKey?: string; verdict?: string; modelHash?: string; rewardsRoot?: string; receivedMs?: number }[];
}

interface ApiUpdateStats {
  digest: string;
  norm: number;
  clipScale: number;
  cosine: number;
  selected: boolean;
  score?: number;
  verdict?: string;
  copyOf?: string;
}

interface ApiNode {
  nodeKey: string;
  owner: string;
  liveness: string;
  lastSeenMs: number | null;
  missedRounds: number;
}

interface ApiRewards {
  roundId: number;
  rewardsRoot: string;
  cumulativeReward: string;
  cumulativeSamples: string;
  cumulativeRounds: string;
  proof: Hex[];
}

interface ApiStatus {
  phase: string;
  round: number | null;
  accepted: number;
  quorum: number;
  deadline: number | null;
  halted: string | null;
  nodes?: { online?: number };
}

/** What one refresh read, and the overview built from it. */
interface Snapshot {
  chain: ChainState;
  coordinator: CoordinatorStatus | null;
  /** The block number and coordinator status it was read at: a refresh that sees the same skips the rest. */
  fingerprint: string;
  overview: Overview;
}

/** Rounds the owner page reads from the coordinator at once. */
const ROUND_FETCH_CONCURRENCY = 8;

/**
 * The explorer's model of the network: the chain (always) and the coordinator (when given),
 * read on each new block or coordinator change, with a `version` that changes exactly when the
 * page should redraw. Listeners hear every new version (the server's event stream).
 */
export class ExplorerData {
  readonly #chain: ChainView;
  readonly #coordinator: CoordinatorApi | undefined;
  readonly #identity: ExplorerIdentity;
  readonly #listeners = new Set<(version: number) => void>();
  /** Committed rounds as the coordinator recorded them, by round and model hash (they never change). */
  readonly #roundCache = new Map<string, ApiRound>();
  #state: Snapshot | undefined;
  #version = 0;
  #refreshing: Promise<void> | undefined;

  constructor(chain: ChainView, coordinator: CoordinatorApi | undefined, identity: ExplorerIdentity) {
    this.#chain = chain;
    this.#coordinator = coordinator;
    this.#identity = identity;
  }

  get version(): number {
    return this.#version;
  }

  /** Calls `listener` with each new version; returns the unsubscribe function. */
  subscribe(listener: (version: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Polls until `signal` aborts: the block number and the coordinator's status every `pollMs`,
   * and a full read when either changed. A failed poll is logged through `onError` and retried.
   */
  async watch(options: { pollMs: number; signal: AbortSignal; onError: (error: unknown) => void }): Promise<void> {
    const { signal } = options;
    while (!signal.aborted) {
      try {
        await this.refresh(signal);
      } catch (error) {
        if (signal.aborted) return;
        options.onError(error);
      }
      await sleep(options.pollMs, signal).catch(() => undefined);
    }
  }

  /** Reads what changed since the last refresh; concurrent callers share one read. */
  refresh(signal?: AbortSignal): Promise<void> {
    this.#refreshing ??= this.#refresh(signal).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(signal?: AbortSignal): Promise<void> {
    const [blockNumber, coordinator] = await Promise.all([this.#chain.blockNumber(signal), this.#coordinatorStatus(signal)]);
    const fingerprint = JSON.stringify([blockNumber, coordinator]);
    if (this.#state?.fingerprint === fingerprint) return;
    const chain = this.#state?.chain.blockNumber === blockNumber ? this.#state.chain : await this.#chain.read(signal);
    this.#version += 1;
    this.#state = { chain, coordinator, fingerprint, overview: this.#overviewOf(chain, coordinator) };
    for (const listener of this.#listeners) listener(this.#version);
  }

  async #coordinatorStatus(signal?: AbortSignal): Promise<CoordinatorStatus | null> {
    if (!this.#coordinator) return null;
    const { url } = this.#coordinator;
    try {
      const status = await this.#coordinator.get<ApiStatus>('/status', signal);
      return { url, phase: status.phase, round: status.round, accepted: status.accepted, quorum: status.quorum, deadlineMs: status.deadline, halted: status.halted, online: status.nodes?.online ?? 0 };
    } catch (error) {
      signal?.throwIfAborted();
      return { url, error: errorMessage(error) };
    }
  }

  async #current(signal?: AbortSignal): Promise<Snapshot> {
    if (!this.#state) await this.refresh(signal);
    return this.#state as Snapshot;
  }

  async overview(signal?: AbortSignal): Promise<Overview> {
    return (await this.#current(signal)).overview;
  }

  #overviewOf(chain: ChainState, coordinator: CoordinatorStatus | null): Overview {
    const current = chain.rounds.filter((round) => round.status !== 'voided');
    return {
      version: this.#version,
      network: {
        chainId: this.#chain.chainId,
        rpcUrl: this.#identity.rpcUrl,
        blockNumber: chain.blockNumber,
        contracts: this.#chain.contracts,
        roundCount: chain.roundCount,
        latestModelHash: chain.latestModelHash,
        lastCommitMs: current.at(-1)?.committedMs ?? null,
        coordinator,
        nodes: { registered: chain.nodes.length, active: chain.nodes.filter((node) => node.active).length },
        totalStaked: chain.nodes.reduce((sum, node) => sum + node.stake, 0n).toString(),
        rewardsCommitted: chain.rewardsCommitted.toString(),
        rewardsPaid: chain.rewardsPaid.toString(),
      },
      rounds: [...chain.rounds].reverse(),
    };
  }

  /** One round: its record on chain and, from the coordinator, its updates, statistics and verdicts. */
  async round(round: number, signal?: AbortSignal): Promise<RoundDetail> {
    const { chain } = await this.#current(signal);
    const commits = chain.rounds.filter((candidate) => candidate.round === round);
    // The round id's current commit, if any (after a void it may not be committed again yet).
    const summary = commits.find((candidate) => candidate.status !== 'voided') ?? null;
    const voided = commits.filter((candidate) => candidate.status === 'voided');
    let coordinator: RoundDetail['coordinator'] = null;
    if (this.#coordinator) {
      try {
        coordinator = roundFromApi(await this.#apiRound(round, summary?.modelHash, signal), chain.nodes);
      } catch (error) {
        signal?.throwIfAborted();
        if (commits.length === 0 && error instanceof CoordinatorApiError && error.status === 404) {
          throw new ExplorerRequestError(404, `round ${round} is neither committed on chain nor known to the coordinator; see the rounds table`, round);
        }
        coordinator = { error: errorMessage(error) };
      }
    } else if (commits.length === 0) {
      throw new ExplorerRequestError(404, `round ${round} is not committed on chain (${chain.roundCount} rounds are); see the rounds table`, round);
    }
    const challenges = chain.challenges.filter((challenge) => challenge.round <= round && round <= challenge.throughRound);
    return { version: this.#version, round, summary, voided, challenges, coordinator };
  }

  /** The coordinator's record of `round`; a committed one is asked for once and kept. */
  async #apiRound(round: number, modelHash: string | undefined, signal?: AbortSignal): Promise<ApiRound> {
    const key = `${round}:${modelHash ?? ''}`;
    const cached = this.#roundCache.get(key);
    if (cached) return cached;
    const body = await (this.#coordinator as CoordinatorApi).get<ApiRound>(`/rounds/${round}?limit=1000`, signal);
    if (modelHash !== undefined && body.state === 'committed' && body.modelHash?.toLowerCase() === modelHash.toLowerCase()) this.#roundCache.set(key, body);
    return body;
  }

  /** Every registered node with its state, the coordinator's liveness and what its owner earned and was paid. */
  async nodes(signal?: AbortSignal): Promise<NodesPage> {
    const { chain } = await this.#current(signal);
    const live = await this.#apiNodes(signal);
    const earned = await Promise.all(chain.nodes.map((node) => this.#apiRewards(node.owner, signal)));
    return { version: this.#version, nodes: chain.nodes.map((node, index) => nodeRow(node, chain, live, earned[index])) };
  }

  async #apiNodes(signal?: AbortSignal): Promise<Map<string, ApiNode> | null> {
    if (!this.#coordinator) return null;
    try {
      const nodes = await this.#coordinator.get<ApiNode[]>('/nodes', signal);
      return new Map(nodes.map((node) => [node.nodeKey.toLowerCase(), node]));
    } catch {
      // Without the coordinator the nodes are still listed from the chain; the overview says why it is missing.
      signal?.throwIfAborted();
      return null;
    }
  }

  /** The owner's cumulative rewards leaf and proof, or null when the coordinator has none (or no coordinator). */
  async #apiRewards(owner: Address, signal?: AbortSignal): Promise<ApiRewards | null> {
    if (!this.#coordinator) return null;
    try {
      return await this.#coordinator.get<ApiRewards>(`/rewards/${owner}`, signal);
    } catch (error) {
      signal?.throwIfAborted();
      if (error instanceof CoordinatorApiError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * An owner's page: its node, what it earned in each committed round, and what it can claim now,
   * the coordinator's cumulative figures accepted only when their proof verifies against the
   * rewards root on chain (as `gradnet rewards` does).
   */
  async owner(ownerText: string, signal?: AbortSignal): Promise<OwnerPage> {
    if (!/^0x[0-9a-fA-F]{40}$/.test(ownerText)) throw new ExplorerRequestError(400, `"${ownerText}" is not an owner address; open /#/owners/0x<40 hex digits>`, ownerText);
    const owner = getAddress(ownerText);
    const { chain } = await this.#current(signal);
    const registered = chain.nodes.find((node) => node.owner.toLowerCase() === owner.toLowerCase());
    const [live, rewards, earnings] = await Promise.all([this.#apiNodes(signal), this.#apiRewards(owner, signal).catch((error: unknown) => ({ error: errorMessage(error) })), this.#earnings(owner, chain, signal)]);
    return {
      version: this.#version,
      owner,
      node: registered ? nodeRow(registered, chain, live, rewards !== null && 'error' in rewards ? null : rewards) : null,
      earnings,
      statement: rewards === null ? null : 'error' in rewards ? rewards : await this.#statement(owner, rewards),
      claimCommand: this.#claimCommand(owner),
    };
  }

  async #statement(owner: Address, rewards: ApiRewards): Promise<NonNullable<OwnerPage['statement']>> {
    const claim = {
      owner,
      cumulativeReward: BigInt(rewards.cumulativeReward),
      cumulativeSamples: BigInt(rewards.cumulativeSamples),
      cumulativeRounds: BigInt(rewards.cumulativeRounds),
      proof: rewards.proof,
    };
    const root = (await this.#chain.rewardsRootOf(rewards.roundId)) as Hex;
    if (root.toLowerCase() !== rewards.rewardsRoot.toLowerCase() || !verifyRewardProof(root, claim)) {
      return { error: `the coordinator's proof for ${owner} does not verify against round ${rewards.roundId}'s rewards root ${root} on chain: do not claim with it` };
    }
    const claimed = await this.#chain.claimed(owner);
    return {
      asOfRound: rewards.roundId,
      cumulativeReward: rewards.cumulativeReward,
      cumulativeRounds: rewards.cumulativeRounds,
      cumulativeSamples: rewards.cumulativeSamples,
      claimed: claimed.toString(),
      claimable: (claim.cumulativeReward > claimed ? claim.cumulativeReward - claimed : 0n).toString(),
    };
  }

  /** What `owner` earned per committed round, from the coordinator's round records (kept once read). */
  async #earnings(owner: Address, chain: ChainState, signal?: AbortSignal): Promise<OwnerPage['earnings']> {
    if (!this.#coordinator) return [];
    const rounds = [...chain.rounds];
    const earnings: OwnerPage['earnings'] = [];
    const next = async (): Promise<void> => {
      for (let summary = rounds.shift(); summary !== undefined; summary = rounds.shift()) {
        const body = await this.#apiRound(summary.round, summary.modelHash, signal).catch(() => null);
        const reward = body?.rewards.find((row) => row.owner.toLowerCase() === owner.toLowerCase());
        if (reward && BigInt(reward.amount) > 0n) earnings.push({ round: summary.round, reward: reward.amount, samples: reward.samples });
      }
    };
    await Promise.all(Array.from({ length: ROUND_FETCH_CONCURRENCY }, next));
    return earnings.sort((a, b) => b.round - a.round);
  }

  #claimCommand(owner: Address): string {
    const parts = ['gradnet rewards --claim', `--owner ${owner}`, `--rpc ${this.#identity.rpcUrl}`];
    if (this.#identity.deploymentsFile !== undefined) parts.push(`--deployments ${this.#identity.deploymentsFile}`);
    if (this.#coordinator) parts.push(`--coordinator-url ${this.#coordinator.url}`);
    return parts.join(' ');
  }
}

function nodeState(node: RegisteredNode, chain: ChainState, live: ApiNode | undefined): NodeState {
  if (chain.slashed.has(node.owner.toLowerCase())) return 'slashed';
  if (node.nodeKey === zeroAddress) return 'withdrawn';
  if (node.unbondingEndsAt > 0) return 'exiting';
  if (live?.liveness === 'failed') return 'failed';
  return node.active ? 'active' : 'inactive';
}

function nodeRow(node: RegisteredNode, chain: ChainState, live: Map<string, ApiNode> | null, rewards: ApiRewards | null): NodeRow {
  const view = live?.get(node.nodeKey.toLowerCase());
  return {
    owner: node.owner,
    nodeKey: node.nodeKey,
    stake: node.stake.toString(),
    state: nodeState(node, chain, view),
    liveness: view?.liveness ?? null,
    lastSeenMs: view?.lastSeenMs ?? null,
    missedRounds: view?.missedRounds ?? null,
    roundsContributed: rewards === null ? null : Number(rewards.cumulativeRounds),
    earned: rewards?.cumulativeReward ?? null,
    claimed: (chain.paidByOwner.get(node.owner.toLowerCase()) ?? 0n).toString(),
  };
}

/** The coordinator's round as the round page shows it: updates joined with their aggregation and reward figures. */
function roundFromApi(body: ApiRound, nodes: RegisteredNode[]): Exclude<RoundDetail['coordinator'], null | { error: string }> {
  const statsByDigest = new Map((body.stats?.updates ?? []).map((stats) => [stats.digest.toLowerCase(), stats]));
  const ownerOf = new Map(nodes.map((node) => [node.nodeKey.toLowerCase(), node.owner]));
  const rewardOf = new Map(body.rewards.map((row) => [row.owner.toLowerCase(), row.amount]));
  const updates: RoundUpdate[] = body.updates.map((update) => {
    const stats = update.digest === null ? undefined : statsByDigest.get(update.digest.toLowerCase());
    const owner = update.nodeKey === null ? null : (ownerOf.get(update.nodeKey.toLowerCase()) ?? null);
    return {
      nodeKey: update.nodeKey,
      owner,
      digest: update.digest,
      samples: update.samples,
      trainLoss: update.trainLoss,
      verdict: update.verdict,
      reason: update.reason,
      norm: stats?.norm ?? null,
      clipScale: stats?.clipScale ?? null,
      cosine: stats?.cosine ?? null,
      selected: stats?.selected ?? null,
      score: stats?.score ?? update.score,
      scoreVerdict: stats?.verdict ?? null,
      copyOf: stats?.copyOf ?? null,
      reward: update.verdict === 'accepted' && owner !== null ? (rewardOf.get(owner.toLowerCase()) ?? null) : null,
    };
  });
  const stats = Object.fromEntries(
    Object.entries(body.stats ?? {}).filter((entry): entry is [string, string | number | boolean | null] => entry[1] === null || ['string', 'number', 'boolean'].includes(typeof entry[1])),
  );
  const verdicts: AuditVerdict[] | null = Array.isArray(body.verdicts)
    ? body.verdicts.map((verdict) => ({
        nodeKey: String(verdict.nodeKey ?? ''),
        verdict: String(verdict.verdict ?? ''),
        modelHash: verdict.modelHash ?? null,
        rewardsRoot: verdict.rewardsRoot ?? null,
        receivedMs: typeof verdict.receivedMs === 'number' ? verdict.receivedMs : null,
      }))
    : null;
  return { state: body.state, updates, totalUpdates: body.updatesPage.total, stats, refusals: body.refusals, verdicts };
}
