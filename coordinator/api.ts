import { getAddress, type Hex } from 'viem';
import { buildRewardsTree, rewardProof, type RewardsTree } from '../core/rewards/index.ts';
import type { RoundPhase } from '../core/round/index.ts';
import { ApiRequestError } from './errors.ts';
import type { ApiSource } from './http.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import type { NodeView } from './node-view.ts';
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

/** The coordinator's read-only API over its store, node view and metrics. */
export function createApiSource(deps: { store: CoordinatorStore; nodes: NodeView; metrics: CoordinatorMetrics; live: () => LiveStatus; now: () => number }): ApiSource {
  const { store, nodes, metrics } = deps;
  let cachedTree: { round: number; tree: RewardsTree | null } | undefined;
  const knownRound = (round: number): RoundRow => {
    const row = store.getRound(round);
    if (!row) throw new ApiRequestError(404, `round ${round} is not known to this coordinator; see /rounds`, round);
    return row;
  };
  const treeOf = (round: number): RewardsTree | null => {
    if (cachedTree?.round !== round) cachedTree = { round, tree: buildRewardsTree(cumulativeOf(store.rewardRowsAsOf(round))) };
    return cachedTree.tree;
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
    rewards(owner) {
      const latest = store.latestCommittedRound();
      if (!latest) throw new ApiRequestError(404, 'no round is committed yet; rewards become claimable after the first commit', owner);
      const tree = treeOf(latest.round);
      const proof = tree ? rewardProof(tree, owner) : null;
      if (!proof) throw new ApiRequestError(404, `${getAddress(owner)} has no rewards as of round ${latest.round}`, owner);
      return {
        owner: proof.owner,
        roundId: latest.round,
        rewardsRoot: latest.rewardsRoot,
        cumulativeReward: proof.cumulativeReward,
        cumulativeSamples: proof.cumulativeSamples,
        cumulativeRounds: proof.cumulativeRounds,
        proof: proof.proof,
      };
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
