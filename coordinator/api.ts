import { getAddress, type Hex } from 'viem';
import { searchLatestFinal } from '../core/chain/index.ts';
import { buildRewardsTree, rewardProof, type RewardsTree } from '../core/rewards/index.ts';
import type { RoundPhase } from '../core/round/index.ts';
import { ApiRequestError } from './errors.ts';
import type { ApiSource } from './http.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import type { NodeView } from './node-view.ts';
import type { CoordinatorChain } from './ports.ts';
import { cumulativeOf } from './round-work.ts';
import type { CoordinatorStore, RoundRow } from './store.ts';

/** The round part of `/status`, from the round runner. */
export interface RoundStatus {
  phase: RoundPhase;
  round: number | null;
  baseHash: Hex | null;
  /** While collecting: taking commitments (`commit`) or the committed updates (`reveal`). */
  stage: 'commit' | 'reveal' | null;
  deadline: number | null;
  /** Commitments taken this collection. */
  committed: number;
  accepted: number;
  quorum: number;
  halted: string | null;
}

/** What `/status` shows besides the store: the live parts, read at request time. */
export interface LiveStatus extends RoundStatus {
  chainId: number;
  ledger: Hex;
  coordinator: Hex;
  peerId: string | null;
  multiaddrs: string[];
  startedMs: number;
}

/** How long one finality search answers /rewards requests: a flood of them costs the RPC endpoint a few reads a second. */
const FINALITY_REUSE_MS = 1000;

/** An owner's cumulative rewards leaf as of one committed round, with its proof against that round's rewards root. */
interface RewardStatement {
  roundId: number;
  rewardsRoot: Hex | undefined;
  /** `final`: the vault pays against it now; `pending`: only once the round's challenge window is over (and if it is not voided). */
  status: 'final' | 'pending';
  cumulativeReward: bigint;
  cumulativeSamples: bigint;
  cumulativeRounds: bigint;
  proof: Hex[];
}

/**
 * The coordinator's read-only API over its store, node view, metrics and (for what is final) the
 * ledger.
 */
export function createApiSource(deps: { store: CoordinatorStore; nodes: NodeView; metrics: CoordinatorMetrics; chain: Pick<CoordinatorChain, 'isFinal'>; live: () => LiveStatus; now: () => number }): ApiSource {
  const { store, nodes, metrics, chain } = deps;
  /** Rewards trees by round and root (a round voided and committed anew has another). */
  const trees = new Map<string, RewardsTree | null>();
  /** The latest round found final so far: finality is never undone, so later searches start after it. */
  let knownFinal = 0;
  const knownRound = (round: number): RoundRow => {
    const row = store.getRound(round);
    if (!row) throw new ApiRequestError(404, `round ${round} is not known to this coordinator; see /rounds`, round);
    return row;
  };
  const treeOf = (round: RoundRow): RewardsTree | null => {
    const key = `${round.round}:${round.rewardsRoot}`;
    let tree = trees.get(key);
    if (tree === undefined) {
      tree = buildRewardsTree(cumulativeOf(store.rewardRowsAsOf(round.round)));
      // The latest final round's tree and the latest committed one's are what is asked for.
      if (trees.size >= 2) trees.delete(trees.keys().next().value as string);
      trees.set(key, tree);
    }
    return tree;
  };
  /** The last finality search: asks within a second of it (a burst of requests) share its answer. */
  let lastSearch: { latest: number; atMs: number; final: Promise<number> } | undefined;
  const latestFinal = (latest: number): Promise<number> => {
    const now = deps.now();
    if (lastSearch?.latest === latest && now - lastSearch.atMs < FINALITY_REUSE_MS) return lastSearch.final;
    const search = { latest, atMs: now, final: searchFinal(latest) };
    lastSearch = search;
    search.final.catch(() => {
      if (lastSearch === search) lastSearch = undefined;
    });
    return search.final;
  };
  /** The latest final round up to `latest` (core/chain's search, after what was found final before). */
  const searchFinal = async (latest: number): Promise<number> => {
    const final = await searchLatestFinal((round) => chain.isFinal(round), latest, knownFinal);
    knownFinal = Math.max(knownFinal, final);
    return final;
  };
  const statementOf = (owner: Hex, round: RoundRow, status: RewardStatement['status']): RewardStatement | null => {
    const tree = treeOf(round);
    const proof = tree ? rewardProof(tree, owner) : null;
    if (!proof) return null;
    return { roundId: round.round, rewardsRoot: round.rewardsRoot, status, cumulativeReward: proof.cumulativeReward, cumulativeSamples: proof.cumulativeSamples, cumulativeRounds: proof.cumulativeRounds, proof: proof.proof };
  };

  return {
    status() {
      const latest = store.latestCommittedRound();
      const view = nodes.list(deps.now());
      return {
        ...deps.live(),
        latestCommitted: latest ? { round: latest.round, modelHash: latest.modelHash, txHash: latest.txHash, committedMs: latest.committedMs } : null,
        nodes: {
          registered: view.length,
          active: view.filter((node) => node.active).length,
          online: view.filter((node) => node.liveness === 'online').length,
          failed: view.filter((node) => node.liveness === 'failed').length,
        },
      };
    },
    rounds(query) {
      return store.listRounds(query).map(roundSummary);
    },
    round(round, page) {
      const row = knownRound(round);
      return {
        ...roundSummary(row),
        stats: row.stats ?? null,
        /** The digests the round was aggregated from (the leaves of updatesRoot), sorted. */
        digests: row.modelHash === undefined ? [] : store.aggregatedDigests(round),
        /** This page of the updates (in arrival order); `updatesPage.total` counts them all. */
        updatesPage: { ...page, total: store.countRoundUpdates(round) },
        /** Refused messages, counted per peer and reason: listed at /rounds/:round/refusals. */
        refusals: store.refusalTotals(round),
        updates: store.roundUpdates(round, page).map((update) => ({
          nodeKey: update.nodeKey,
          digest: update.digest,
          verdict: update.verdict,
          reason: update.reason,
          samples: update.samples,
          trainLoss: update.trainLoss,
          codec: update.codec,
          bytes: update.bytes,
          receivedMs: update.receivedMs,
          peerId: update.peerId,
          score: update.score,
        })),
        rewards: store.rewardRowsAsOf(round).filter((reward) => reward.round === round),
        /** The audit verdicts peers gossiped on the round as committed now (one per node key). */
        verdicts: row.modelHash === undefined ? [] : store.roundVerdicts(round, row.modelHash).map((verdict) => ({
          nodeKey: verdict.nodeKey,
          verdict: verdict.verdict,
          modelHash: verdict.modelHash,
          rewardsRoot: verdict.rewardsRoot,
          receivedMs: verdict.receivedMs,
          peerId: verdict.peerId,
          signature: verdict.signature,
        })),
      };
    },
    refusals(round, page) {
      knownRound(round);
      const totals = store.refusalTotals(round);
      return { round, ...page, total: totals.entries, messages: totals.messages, refusals: store.roundRefusals(round, page) };
    },
    nodes() {
      return nodes.list(deps.now());
    },
    /**
     * The owner's claim as of the latest final round (what RewardVault pays now), and, when a later
     * round is committed and still in its challenge window, the claim as of it under `pending`.
     */
    async rewards(owner) {
      const latest = store.latestCommittedRound();
      if (!latest) throw new ApiRequestError(404, 'no round is committed yet; rewards become claimable after the first commit', owner);
      const finalRound = await latestFinal(latest.round);
      const finalRow = finalRound > 0 ? store.getRound(finalRound) : undefined;
      const final = finalRow?.state === 'committed' ? statementOf(owner, finalRow, 'final') : null;
      const pending = latest.round > finalRound ? statementOf(owner, latest, 'pending') : null;
      if (final === null) {
        const later = pending === null ? '' : `; round ${latest.round}, still in its challenge window, gives it ${pending.cumulativeReward} wei, claimable once that round is final`;
        const asOf = finalRound === 0 ? 'no round is final yet' : `it has none as of round ${finalRound}, the latest final round`;
        throw new ApiRequestError(404, `${getAddress(owner)} has no claimable rewards: ${asOf}${later}`, owner);
      }
      return { owner: getAddress(owner), ...final, pending };
    },
    async metrics() {
      return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
    },
  };
}

function roundSummary(row: RoundRow): Record<string, unknown> {
  return {
    round: row.round,
    state: row.state,
    baseHash: row.baseHash,
    modelHash: row.modelHash ?? null,
    txHash: row.txHash,
    updatesRoot: row.updatesRoot ?? null,
    rewardsRoot: row.rewardsRoot ?? null,
    contributors: row.contributors ?? null,
    totalSamples: row.totalSamples ?? null,
    loss: row.loss ?? null,
    accuracy: row.accuracy ?? null,
    rewardBudget: row.rewardBudget ?? null,
    openedMs: row.openedMs,
    closedMs: row.closedMs,
    committedMs: row.committedMs,
    commitAttempts: row.commitAttempts,
    lastError: row.lastError,
  };
}
