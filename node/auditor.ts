import type { Hex } from 'viem';
import type { Logger } from 'pino';
import { applyRound, checkpointAggregation, updatesRoot } from '../core/audit/index.ts';
import type { CommittedRound, LedgerClient } from '../core/chain/index.ts';
import type { Abortable, HeardUpdate, PeerAuditor, SignedUpdateBytes } from '../core/peer/index.ts';
import { decodeUpdate } from '../core/protocol/index.ts';
import { decodeDelta, payloadElementCount, type Checkpoint, type CheckpointStore } from '../core/tensor/index.ts';
import type { CheckpointModels } from './model-sync.ts';

/** An update this node accepted from gossip (or made itself), kept until its round is audited. */
export type ObservedUpdate = HeardUpdate;

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

/**
 * The peer's auditor port: the replay above, fed with the committed round from the ledger, its
 * parent from the local store (a node that never held it cannot replay the round) and its model
 * by hash, and told which updates the round included by the coordinator's API when configured.
 */
export class LedgerAuditor implements PeerAuditor {
  readonly #replay: RoundAuditor;
  readonly #ledger: Pick<LedgerClient, 'getRound'>;
  readonly #store: CheckpointStore;
  readonly #models: Pick<CheckpointModels, 'checkpoint'>;
  readonly #coordinatorUrl: string | undefined;
  readonly #onAudit: ((result: AuditResult) => void) | undefined;

  constructor(options: {
    logger: Logger;
    ledger: Pick<LedgerClient, 'getRound'>;
    store: CheckpointStore;
    models: Pick<CheckpointModels, 'checkpoint'>;
    coordinatorUrl?: string;
    onAudit?: (result: AuditResult) => void;
  }) {
    this.#replay = new RoundAuditor({ logger: options.logger });
    this.#ledger = options.ledger;
    this.#store = options.store;
    this.#models = options.models;
    this.#coordinatorUrl = options.coordinatorUrl;
    this.#onAudit = options.onAudit;
  }

  observe(update: HeardUpdate): void {
    this.#replay.observe(update);
  }

  observeOwn(signed: SignedUpdateBytes): void {
    const update = decodeUpdate(signed.bytes);
    const payload = update.payload ?? new Uint8Array();
    // The coordinator aggregates what the payload decodes to, so the replay must hold the same.
    const delta = decodeDelta(update.codec, payload, payloadElementCount(payload) ?? 0);
    this.#replay.observe({ round: update.round, baseModelHash: update.baseModelHash, nodeKey: update.nodeKey, digest: signed.digest, delta, samples: update.samples });
  }

  async audit(round: number, { signal }: Abortable = {}): Promise<void> {
    const committed = await this.#ledger.getRound(round);
    if (!(await this.#store.has(committed.parentHash))) return;
    const parent = await this.#store.get(committed.parentHash);
    const produced = await this.#models.checkpoint(committed.modelHash, { signal });
    const result = this.#replay.audit(committed, parent, produced, await this.#includedDigests(round, signal));
    this.#onAudit?.(result);
  }

  /** The coordinator's list of a round's update digests, when its API is configured and answers. */
  async #includedDigests(round: number, signal?: AbortSignal): Promise<Hex[] | undefined> {
    const api = this.#coordinatorUrl;
    if (api === undefined) return undefined;
    try {
      const timeout = AbortSignal.timeout(5000);
      const response = await fetch(`${api.replace(/\/$/, '')}/rounds/${round}`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      if (!response.ok) return undefined;
      const body = (await response.json()) as { digests?: unknown };
      return Array.isArray(body.digests) && body.digests.every((digest) => typeof digest === 'string') ? (body.digests as Hex[]) : undefined;
    } catch {
      return undefined;
    }
  }
}
