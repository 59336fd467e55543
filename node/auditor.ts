import type { Address, Hex } from 'viem';
import {
  applyRound,
  checkpointAggregation,
  checkpointScoring,
  checkpointUpdates,
  scoringLoss,
  SCORING_EVALUATORS,
  settleRound,
  updatesRoot,
  validationFingerprint,
  type AppliedRound,
} from '../core/audit/index.ts';
import type { CommittedRound } from '../core/chain/index.ts';
import { errorMessage } from '../core/errors.ts';
import type { StructuredLogger } from '../core/log/index.ts';
import type { Dataset, ModelSpecLike } from '../core/ml/index.ts';
import type { Abortable, AuditJudgement, HeardUpdate, PeerAuditor, SignedUpdateBytes } from '../core/peer/index.ts';
import type { VerdictFields, VerdictKind } from '../core/protocol/index.ts';
import { accumulateRewards, EMPTY_REWARDS_ROOT, rewardsRoot, type CumulativeRewards, type RoundContribution } from '../core/rewards/index.ts';
import { maxPayloadBytes, type Checkpoint } from '../core/tensor/index.ts';
import { backoffDelay, type BackoffOptions, type Clock } from '../core/time/index.ts';
import type { ArchivedUpdate, UpdateArchive } from './update-archive.ts';

/** A verdict this node signs, or `abstained`: it could not judge the round and signs nothing (logged with the reason). */
export type AuditVerdict = VerdictKind | 'abstained';

export interface AuditResult {
  round: number;
  verdict: AuditVerdict;
  /** What matched, what did not, what was unavailable, or why the node abstained. */
  reason: string;
  chainModelHash: Hex;
  chainRewardsRoot: Hex;
  computedModelHash?: Hex;
  computedRewardsRoot?: Hex;
  /** Updates the round included (from the committed checkpoint), or 0 when not known. */
  updates: number;
}

/** The chain as an auditor reads it. */
export interface AuditChain {
  getRound(round: number, options?: Abortable): Promise<CommittedRound>;
  /** Seconds a committed round can be challenged (RoundLedger.challengeWindow). */
  challengeWindow(options?: Abortable): Promise<number>;
  /** The latest block's timestamp, unix seconds: the clock the window runs on (a devnet's can run ahead of the wall clock). */
  chainTime(options?: Abortable): Promise<number>;
  /** The owner the registry binds `nodeKey` to, or undefined. */
  ownerOf(nodeKey: Address, options?: Abortable): Promise<Address | undefined>;
}

/** Where the committed and parent models come from. */
export interface AuditModels {
  /** The verified checkpoint of `modelHash` (local or fetched by hash from peers). */
  checkpoint(modelHash: Hex, options?: Abortable): Promise<Checkpoint>;
  /** The checkpoint when this node already holds it, else undefined (a node audits rounds from models it held). */
  held(modelHash: Hex): Promise<Checkpoint | undefined>;
}

/**
 * What scoring needs locally to recompute a rewards root bit for bit: the data. The losses come
 * from the evaluator the checkpoint names (core/audit scoringLoss), the same on every host.
 */
export interface AuditScorer {
  /** The validation split; the first `scoreBatch` examples are a round's scoring batch. */
  readonly validation: Dataset;
}

/** Where the reward rows of rounds committed before this node started come from (the coordinator's API). */
export interface RewardHistory {
  /** The rows (one per owner) of committed round `round`. */
  roundRewards(round: number, signal?: AbortSignal): Promise<RoundContribution[]>;
}

export interface LedgerAuditorOptions {
  logger: StructuredLogger;
  chain: AuditChain;
  models: AuditModels;
  archive: UpdateArchive;
  /** Without it rewards roots are not recomputed: a round whose model matches gets no verdict. */
  scorer?: AuditScorer;
  /**
   * Rewards of rounds this node did not judge itself (it started later, or restarted): folded and
   * used only when they hash to the rewards root the ledger committed. Without it such a node
   * cannot check rewards roots until it has judged a whole chain of rounds since genesis.
   */
  history?: RewardHistory;
  /** Signs and gossips a verdict (and hands it to the challenger). */
  publish: (verdict: VerdictFields) => Promise<void>;
  clock: Clock;
  /** Aborted when the daemon stops: ends the background retries of audits waiting for inputs. */
  lifetime: AbortSignal;
  /** Waits between attempts to fetch a round's missing inputs. Default 250 ms doubling to 2 s. */
  retry?: BackoffOptions;
  /** Called with every audit result (the demo collects them; the log has them too). */
  onAudit?: (result: AuditResult) => void;
}

/**
 * How long the last try (past the deadline) may fetch, the least and the most any try gets (the
 * first holds the daemon up; with an hour's window, later tries follow in the background).
 */
const LAST_TRY_MS = 3000;
const MIN_TRY_MS = 1000;
const MAX_TRY_MS = 30_000;

/** Rewards trees remembered by root: the cumulative figures a later round adds to. */
const KEEP_CUMULATIVE = 16;

/**
 * Audits committed rounds and signs a verdict on each: `match` when replaying the round gives both
 * the committed model hash and the committed rewards root, `mismatch` when either differs (or the
 * round cannot be replayed as committed), `unavailable` when the committed model or an update the
 * round included cannot be had from any peer before half the challenge window has passed (the
 * other half is for the verdicts to travel and a challenge to land). The committed checkpoint
 * names the included updates in acceptance order (its meta, under the model hash); missing ones
 * are fetched by digest over `/gradnet/blob/1`. A round whose inputs are all at hand is judged
 * before `audit` returns; otherwise the daemon goes on and the audit keeps trying in the
 * background until that deadline.
 */
export class LedgerAuditor implements PeerAuditor {
  readonly #options: LedgerAuditorOptions;
  readonly #retry: BackoffOptions;
  /** Cumulative reward figures by the rewards root they hash to; the empty tree is the genesis's. */
  readonly #cumulative = new Map<Hex, CumulativeRewards>([[EMPTY_REWARDS_ROOT, new Map()]]);

  constructor(options: LedgerAuditorOptions) {
    this.#options = options;
    this.#retry = options.retry ?? { baseMs: 250, maxMs: 2000 };
  }

  /** Gossiped updates reach the archive with their signatures and payloads from the p2p node (HeardUpdate drops both). */
  observe(_update: HeardUpdate): void {}

  observeOwn(signed: SignedUpdateBytes): void {
    this.#options.archive.keepBytes(signed.bytes, signed.digest);
  }

  /** Judges `round` now when its inputs are at hand (the judgement the daemon acts on), else keeps trying in the background. */
  async audit(round: number, { signal }: Abortable = {}): Promise<AuditJudgement> {
    const { chain, models } = this.#options;
    const committed = await chain.getRound(round, { signal });
    const unjudged = { modelHash: committed.modelHash, wrong: false };
    const parent = await models.held(committed.parentHash);
    if (parent === undefined) {
      await this.#conclude(abstain(committed, `this node does not hold the round's parent model ${committed.parentHash}`, 0));
      return unjudged;
    }
    const [window, chainNow] = await Promise.all([chain.challengeWindow({ signal }), chain.chainTime({ signal })]);
    // Half the window on the chain's clock, as a time on ours.
    const deadline = this.#options.clock.now() + (committed.committedAt + window / 2 - chainNow) * 1000;
    const result = await this.#attempt(committed, parent, { signal, deadline });
    if (result !== undefined) {
      await this.#conclude(result);
      return judgementOf(result);
    }
    return { ...unjudged, later: this.#keepTrying(committed, parent, deadline, deadline + (window / 2) * 1000) };
  }

  /**
   * Tries again until a verdict (the last try is at `deadline`); a try that fails is retried until
   * the window `closes`, when a verdict is of no use. Resolves to the judgement the daemon acts on
   * (not wrong when abandoned or stopped); never rejects.
   */
  async #keepTrying(committed: CommittedRound, parent: Checkpoint, deadline: number, closes: number): Promise<AuditJudgement> {
    const { clock, lifetime, logger } = this.#options;
    const unjudged = { modelHash: committed.modelHash, wrong: false };
    for (let attempt = 0; !lifetime.aborted; attempt++) {
      const now = clock.now();
      if (now >= closes) {
        logger.warn({ event: 'audit-abandoned', round: committed.roundId }, `audit of round ${committed.roundId} abandoned: its challenge window closed before it could be judged`);
        return unjudged;
      }
      try {
        const delay = backoffDelay(attempt, this.#retry);
        await clock.sleep(now < deadline ? Math.min(delay, deadline - now) : delay, lifetime);
        const result = await this.#attempt(committed, parent, { signal: lifetime, deadline });
        if (result !== undefined) {
          await this.#conclude(result);
          return judgementOf(result);
        }
      } catch (error) {
        if (lifetime.aborted) return unjudged;
        logger.warn({ event: 'audit-retry', round: committed.roundId, attempt, err: errorMessage(error) }, `audit of round ${committed.roundId} failed, trying again: ${errorMessage(error)}`);
      }
    }
    return unjudged;
  }

  /**
   * One try at the round; undefined when inputs are missing and it is not the last try (the one
   * at or after `deadline`). Fetches are bounded by the time left (the last try gets a few
   * seconds), so a silent peer cannot hold a verdict past the window.
   */
  async #attempt(committed: CommittedRound, parent: Checkpoint, options: { signal?: AbortSignal; deadline: number }): Promise<AuditResult | undefined> {
    const { models, archive, clock } = this.#options;
    const left = options.deadline - clock.now();
    const last = left <= 0;
    const timeout = AbortSignal.timeout(last ? LAST_TRY_MS : Math.min(Math.max(left, MIN_TRY_MS), MAX_TRY_MS));
    const fetchSignal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    let produced: Checkpoint;
    try {
      produced = await models.checkpoint(committed.modelHash, { signal: fetchSignal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return last ? verdictOf(committed, 'unavailable', `no peer served the committed model ${committed.modelHash}: ${errorMessage(error)}`, 0) : undefined;
    }
    let included: Hex[] | undefined;
    try {
      included = checkpointUpdates(produced);
    } catch (error) {
      return verdictOf(committed, 'mismatch', errorMessage(error), 0);
    }
    if (included === undefined) return abstain(committed, 'the committed checkpoint does not list its updates (a coordinator older than verdicts)', 0);
    const root = updatesRoot(included);
    if (root.toLowerCase() !== committed.updatesRoot.toLowerCase()) {
      return verdictOf(committed, 'mismatch', `the committed checkpoint lists ${included.length} updates whose root ${root} is not the committed updatesRoot ${committed.updatesRoot}`, included.length);
    }
    const maxBytes = maxPayloadBytes('fp32', parent.params.length);
    const missing: string[] = [];
    const updates: ArchivedUpdate[] = [];
    for (const digest of included) {
      try {
        updates.push(await archive.fetch(digest, { maxPayloadBytes: maxBytes, signal: fetchSignal }));
      } catch (error) {
        if (options.signal?.aborted) throw error;
        missing.push(`${digest}: ${errorMessage(error)}`);
      }
    }
    if (missing.length > 0) {
      return last ? verdictOf(committed, 'unavailable', `${missing.length} of the ${included.length} included updates could not be fetched (${missing.join('; ')})`, included.length) : undefined;
    }
    return this.#judge(committed, parent, produced, updates, options.signal);
  }

  async #judge(committed: CommittedRound, parent: Checkpoint, produced: Checkpoint, updates: ArchivedUpdate[], signal?: AbortSignal): Promise<AuditResult> {
    const round = committed.roundId;
    const count = updates.length;
    const stray = updates.find((entry) => entry.update.round !== round || entry.update.baseModelHash.toLowerCase() !== committed.parentHash.toLowerCase());
    if (stray !== undefined) {
      return verdictOf(committed, 'mismatch', `the round includes update ${stray.digest} of round ${stray.update.round} on ${stray.update.baseModelHash}`, count);
    }
    let replayed: AppliedRound;
    try {
      replayed = applyRound({
        parent,
        round,
        updates: updates.map((entry) => ({ digest: entry.digest, delta: entry.delta, samples: entry.update.samples })),
        aggregation: checkpointAggregation(produced),
        scoring: checkpointScoring(produced.meta),
      });
    } catch (error) {
      return verdictOf(committed, 'mismatch', `the round cannot be replayed as committed: ${errorMessage(error)}`, count);
    }
    const computedModelHash = replayed.checkpoint.modelHash;
    if (computedModelHash.toLowerCase() !== committed.modelHash.toLowerCase()) {
      return { ...verdictOf(committed, 'mismatch', `recomputed model ${computedModelHash}, the ledger has ${committed.modelHash}`, count), computedModelHash };
    }
    const rewards = await this.#rewardsRoot(committed, parent, produced, updates, replayed, signal);
    if ('unknown' in rewards) return { ...abstain(committed, `the model hash matches, but ${rewards.unknown}`, count), computedModelHash };
    const computedRewardsRoot = rewards.root;
    if (computedRewardsRoot.toLowerCase() !== committed.rewardsRoot.toLowerCase()) {
      return { ...verdictOf(committed, 'mismatch', `the model hash matches; recomputed rewards root ${computedRewardsRoot}, the ledger has ${committed.rewardsRoot}`, count), computedModelHash, computedRewardsRoot };
    }
    return { ...verdictOf(committed, 'match', 'recomputed model hash and rewards root equal the committed ones', count), computedModelHash, computedRewardsRoot };
  }

  /** The rewards root the round should have committed, or why this node cannot recompute it bit for bit. */
  async #rewardsRoot(committed: CommittedRound, parent: Checkpoint, produced: Checkpoint, updates: ArchivedUpdate[], replayed: AppliedRound, signal?: AbortSignal): Promise<{ root: Hex } | { unknown: string }> {
    const { scorer, chain } = this.#options;
    const scoring = checkpointScoring(produced.meta);
    if (scoring === undefined) return { unknown: 'the committed checkpoint records no scoring settings' };
    if (scorer === undefined) return { unknown: 'this node does not score rounds' };
    if (!SCORING_EVALUATORS.includes(scoring.evaluator)) {
      return { unknown: `the round was scored by evaluator "${scoring.evaluator}", which this build does not implement (it has ${SCORING_EVALUATORS.join(', ')}); upgrade gradnet` };
    }
    if (validationFingerprint(scorer.validation, scoring.scoreBatch) !== scoring.validation) return { unknown: `the round was scored on a validation batch (${scoring.validation}) this node does not hold` };
    const before = await chain.getRound(committed.roundId - 1, { signal });
    const previous = this.#cumulative.get(before.rewardsRoot.toLowerCase() as Hex) ?? (await this.#replayHistory(before, signal));
    if (previous === undefined) return { unknown: `the cumulative rewards of round ${before.roundId} (root ${before.rewardsRoot}) are not known to this node` };
    const owners: (Hex | null)[] = [];
    for (const entry of updates) owners.push((await chain.ownerOf(entry.update.nodeKey, { signal })) ?? null);
    const settled = await settleRound({
      params: parent.params,
      updates: updates.map((entry, index) => ({
        nodeKey: entry.update.nodeKey,
        owner: owners[index],
        digest: entry.digest,
        payloadDigest: entry.update.payloadDigest,
        delta: entry.delta,
        samples: entry.update.samples,
        // The checkpoint lists the updates in the coordinator's acceptance order.
        arrival: index,
      })),
      setAside: replayed.aggregation.stats.rejected,
      evaluateLoss: scoringLoss(scoring, produced.meta.model as ModelSpecLike, scorer.validation, signal),
      budgetWei: scoring.budgetWei,
      capShare: scoring.capShare,
      previous,
      signal,
    });
    // Remembered whether or not the ledger agrees: it is what this round should have committed,
    // which the next round (or this round committed again after a challenge) adds to.
    this.#remember(settled.rewardsRoot, settled.cumulative);
    return { root: settled.rewardsRoot };
  }

  #remember(root: Hex, cumulative: CumulativeRewards): void {
    this.#cumulative.set(root.toLowerCase() as Hex, cumulative);
    for (const kept of this.#cumulative.keys()) {
      if (this.#cumulative.size <= KEEP_CUMULATIVE) break;
      if (kept !== EMPTY_REWARDS_ROOT) this.#cumulative.delete(kept);
    }
  }

  /**
   * The cumulative figures as of committed round `upTo`, folded from the history's rows of rounds
   * 1..upTo; undefined when there is no history, it fails, or its rows do not hash to the root the
   * ledger committed for `upTo` (then they are not what the ledger paid).
   */
  async #replayHistory(upTo: CommittedRound, signal?: AbortSignal): Promise<CumulativeRewards | undefined> {
    const { history, logger } = this.#options;
    if (history === undefined) return undefined;
    try {
      let cumulative: CumulativeRewards = new Map();
      for (let round = 1; round <= upTo.roundId; round++) cumulative = accumulateRewards(cumulative, await history.roundRewards(round, signal));
      const root = rewardsRoot(cumulative);
      if (root.toLowerCase() !== upTo.rewardsRoot.toLowerCase()) {
        logger.warn({ event: 'reward-history', round: upTo.roundId, root, committed: upTo.rewardsRoot }, `the reward history of rounds 1..${upTo.roundId} hashes to ${root}, not the committed ${upTo.rewardsRoot}; not used`);
        return undefined;
      }
      this.#remember(root, cumulative);
      return cumulative;
    } catch (error) {
      if (signal?.aborted) throw error;
      logger.warn({ event: 'reward-history', round: upTo.roundId, err: errorMessage(error) }, `could not read the reward history of rounds 1..${upTo.roundId}: ${errorMessage(error)}`);
      return undefined;
    }
  }

  async #conclude(result: AuditResult): Promise<void> {
    const { logger, publish, onAudit } = this.#options;
    const fields = { event: 'audit', ...result };
    const message = `audit round ${result.round}: ${result.verdict}${result.verdict === 'match' ? '' : ` (${result.reason})`}`;
    if (result.verdict === 'match') logger.info(fields, message);
    else if (result.verdict === 'abstained') logger.warn(fields, message);
    else logger.error(fields, message);
    onAudit?.(result);
    if (result.verdict === 'abstained') return;
    try {
      await publish({ round: result.round, modelHash: result.chainModelHash, rewardsRoot: result.chainRewardsRoot, verdict: result.verdict });
    } catch (error) {
      logger.warn({ event: 'verdict-publish', round: result.round, err: errorMessage(error) }, `could not gossip the verdict on round ${result.round}: ${errorMessage(error)}`);
    }
  }
}

/** What the daemon acts on: a `mismatch` or `unavailable` verdict judges the committed model wrong. */
function judgementOf(result: AuditResult): AuditJudgement {
  return { modelHash: result.chainModelHash, wrong: result.verdict === 'mismatch' || result.verdict === 'unavailable' };
}

function verdictOf(committed: CommittedRound, verdict: AuditVerdict, reason: string, updates: number): AuditResult {
  return { round: committed.roundId, verdict, reason, chainModelHash: committed.modelHash, chainRewardsRoot: committed.rewardsRoot, updates };
}

function abstain(committed: CommittedRound, reason: string, updates: number): AuditResult {
  return verdictOf(committed, 'abstained', reason, updates);
}
