import type { Hex } from 'viem';
import type { Logger } from 'pino';
import { applyRound, checkpointAggregation, updatesRoot } from '../core/audit/index.ts';
import type { CommittedRound } from '../core/chain/index.ts';
import type { Checkpoint } from '../core/tensor/index.ts';

/** An update this node accepted from gossip (or made itself), kept until its round is audited. */
export interface ObservedUpdate {
  round: number;
  baseModelHash: Hex;
  nodeKey: Hex;
  digest: Hex;
  delta: Float32Array;
  samples: number;
}

export type AuditVerdict = 'match' | 'mismatch' | 'skipped';

export interface AuditResult {
  round: number;
  verdict: AuditVerdict;
  /** Why a round was skipped, or what did not match. */
  reason: string;
  chainModelHash: Hex;
  computedModelHash?: Hex;
  updates: number;
}

/**
 * Replays committed rounds from the updates this node saw. The ledger's updatesRoot tells
 * whether the node holds exactly the round's updates; if so it recomputes the next model with
 * the same deterministic transition the coordinator uses and compares the hash with the chain's.
 */
export class RoundAuditor {
  private readonly byRound = new Map<number, Map<Hex, ObservedUpdate>>();
  private readonly logger: Logger;
  /** Rounds further back than this are forgotten: a node that missed them cannot audit them anyway. */
  private readonly keepRounds: number;

  constructor(options: { logger: Logger; keepRounds?: number }) {
    this.logger = options.logger;
    this.keepRounds = options.keepRounds ?? 8;
  }

  observe(update: ObservedUpdate): void {
    let updates = this.byRound.get(update.round);
    if (!updates) {
      updates = new Map();
      this.byRound.set(update.round, updates);
      for (const round of this.byRound.keys()) if (round < update.round - this.keepRounds) this.byRound.delete(round);
    }
    updates.set(update.digest.toLowerCase() as Hex, update);
  }

  /**
   * Audits `committed` given its parent checkpoint and the committed checkpoint (whose meta
   * records the aggregation settings the coordinator claims to have used). `included` is the
   * coordinator's list of the round's update digests, when known: it lets a node that also saw
   * updates the round left out (late ones) pick the right subset. It is not trusted: the subset
   * must still hash to the updatesRoot on chain.
   */
  audit(committed: CommittedRound, parent: Checkpoint, produced: Checkpoint, included?: readonly Hex[]): AuditResult {
    const round = committed.roundId;
    const base = { round, chainModelHash: committed.modelHash };
    let seen = [...(this.byRound.get(round)?.values() ?? [])].filter((update) => update.baseModelHash.toLowerCase() === committed.parentHash.toLowerCase());
    if (included !== undefined && updatesRoot(seen.map((update) => update.digest)).toLowerCase() !== committed.updatesRoot.toLowerCase()) {
      const wanted = new Set(included.map((digest) => digest.toLowerCase()));
      const subset = seen.filter((update) => wanted.has(update.digest.toLowerCase()));
      if (subset.length === wanted.size) seen = subset;
    }
    const result = ((): AuditResult => {
      if (parent.modelHash.toLowerCase() !== committed.parentHash.toLowerCase()) {
        return { ...base, verdict: 'skipped', reason: `parent checkpoint ${parent.modelHash} is not the round's parent ${committed.parentHash}`, updates: seen.length };
      }
      const root = updatesRoot(seen.map((update) => update.digest));
      if (root.toLowerCase() !== committed.updatesRoot.toLowerCase()) {
        return { ...base, verdict: 'skipped', reason: `saw ${seen.length} updates whose root ${root} is not the committed updatesRoot ${committed.updatesRoot} (${committed.contributors} contributors)`, updates: seen.length };
      }
      const replayed = applyRound({
        parent,
        round,
        updates: seen.map((update) => ({ digest: update.digest, delta: update.delta, samples: update.samples })),
        aggregation: checkpointAggregation(produced),
      });
      const computed = replayed.checkpoint.modelHash;
      const verdict: AuditVerdict = computed.toLowerCase() === committed.modelHash.toLowerCase() ? 'match' : 'mismatch';
      return {
        ...base,
        verdict,
        reason: verdict === 'match' ? 'recomputed model hash equals the committed one' : `recomputed ${computed}, chain has ${committed.modelHash}`,
        computedModelHash: computed,
        updates: seen.length,
      };
    })();
    const log = result.verdict === 'mismatch' ? this.logger.error.bind(this.logger) : this.logger.info.bind(this.logger);
    log({ event: 'audit', ...result }, `audit round ${round}: ${result.verdict}${result.verdict === 'match' ? '' : ` (${result.reason})`}`);
    this.byRound.delete(round);
    return result;
  }
}
