import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { getAddress, type Hex } from 'viem';
import type { VerdictKind } from '../core/protocol/index.ts';
import type { AcceptedCommitment, RoundJournal, RoundRowStatus } from '../core/round/index.ts';
import { StoreError } from './errors.ts';

/** Lifecycle of a round in the store; the chain is the truth once a round is `committed`. */
export type { RoundRowStatus };
export type UpdateVerdict = 'accepted' | 'rejected';
export type SlashStatus = 'pending' | 'slashed' | 'failed';

export interface NodeRow {
  nodeKey: Hex;
  owner: Hex;
  stake: bigint;
  active: boolean;
  firstSeenMs: number;
  lastSeenMs: number | null;
  lastHeartbeatRound: number | null;
  lastUpdateRound: number | null;
  missedRounds: number;
}

export interface UpdateRecord {
  round: number;
  /** Null only for a rejected message that did not decode far enough to tell. */
  nodeKey: Hex | null;
  /** The update's EIP-712 digest (its identity); null as for nodeKey. */
  digest: Hex | null;
  verdict: UpdateVerdict;
  /** Why a rejected update was rejected (the validator's reason); null for accepted ones. */
  reason: string | null;
  baseHash: Hex | null;
  samples: number;
  trainLoss: number;
  codec: string | null;
  signature: Hex | null;
  /**
   * The signed update's wire bytes with the payload inline (accepted updates only: rejected
   * ones are not worth the disk). Self-verifying: signature, digest and delta all come back from it.
   */
  message: Uint8Array | null;
  bytes: number;
  receivedMs: number;
  peerId: string | null;
}

export interface UpdateRow extends UpdateRecord {
  id: number;
  score: number | null;
}

/** An accepted update: it always has its node key, digest and signed message. */
export interface AcceptedUpdateRow extends UpdateRow {
  nodeKey: Hex;
  digest: Hex;
  message: Uint8Array;
  /**
   * Where its node's commitment came in the round's commitments (lower = earlier): who committed
   * to a payload first is its author, whatever order the updates arrived in. The row id for an
   * update a database kept from before commitments.
   */
  commitOrder: number;
}

/** A commitment the validator accepted, as journalled: the node will send the update `updateDigest`. */
export interface CommitmentRecord {
  round: number;
  nodeKey: Hex;
  updateDigest: Hex;
  /** The node key's EIP-712 signature over the commitment. */
  signature: Hex;
  receivedMs: number;
  peerId: string | null;
}

/** How many messages one peer had refused for one reason in one round. */
export interface RefusalCount {
  round: number;
  peerId: string;
  reason: string;
  /** The node key the message named, when the refusal carries evidence of it. */
  nodeKey: Hex | null;
  count: number;
  firstMs: number;
  lastMs: number;
}

/** A page of a list: at most `limit` items from `offset`. */
export interface Page {
  limit: number;
  offset: number;
}

export interface RoundResult {
  modelHash: Hex;
  updatesRoot: Hex;
  rewardsRoot: Hex;
  contributors: number;
  totalSamples: number;
  loss: number;
  accuracy: number;
  rewardBudget: bigint;
  stats: unknown;
}

export interface RoundRow extends Partial<RoundResult> {
  round: number;
  state: RoundRowStatus;
  baseHash: Hex;
  openedMs: number;
  /** When the round's reveal opened; null while it takes commitments. */
  revealedMs: number | null;
  closedMs: number | null;
  committedMs: number | null;
  txHash: Hex | null;
  commitAttempts: number;
  lastError: string | null;
}

/**
 * One owner's part in one round: its reward and samples, and whether it counted (earned a
 * positive score). Cumulative figures are always recomputed from these rows, never stored.
 */
export interface RewardRow {
  round: number;
  owner: Hex;
  amount: bigint;
  samples: number;
  counted: boolean;
  score: number;
}

/** An audit verdict a peer gossiped, as the coordinator keeps it. */
export interface VerdictRecord {
  round: number;
  modelHash: Hex;
  rewardsRoot: Hex;
  nodeKey: Hex;
  verdict: VerdictKind;
  signature: Hex;
  receivedMs: number;
  peerId: string | null;
}

export interface EquivocationRecord {
  evidenceHash: Hex;
  nodeKey: Hex;
  round: number;
  firstDigest: Hex;
  secondDigest: Hex;
  /** Both signed messages (wire bytes without payload): anyone can check the two signatures. */
  first: Uint8Array;
  second: Uint8Array;
  detectedMs: number;
}

export interface EquivocationRow extends EquivocationRecord {
  slashStatus: SlashStatus;
  slashTx: Hex | null;
  slashError: string | null;
}

export interface CheckpointRow {
  modelHash: Hex;
  round: number;
  /** The CheckpointStore directory holding the file (named by the hash). */
  path: string;
  bytes: number;
  createdMs: number;
}

/**
 * Schema versions, applied in order inside a transaction each; `PRAGMA user_version` records
 * how far a database has come. Append, never edit, once a version has shipped.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE nodes (
    node_key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    stake TEXT NOT NULL,
    active INTEGER NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER,
    last_heartbeat_round INTEGER,
    last_update_round INTEGER,
    missed_rounds INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE heartbeats (
    node_key TEXT NOT NULL,
    round INTEGER NOT NULL,
    first_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (node_key, round)
  );
  CREATE TABLE rounds (
    round INTEGER PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('open', 'aggregated', 'committing', 'committed')),
    base_hash TEXT NOT NULL,
    opened_ms INTEGER NOT NULL,
    closed_ms INTEGER,
    committed_ms INTEGER,
    model_hash TEXT,
    updates_root TEXT,
    rewards_root TEXT,
    contributors INTEGER,
    total_samples INTEGER,
    loss REAL,
    accuracy REAL,
    reward_budget TEXT,
    stats TEXT,
    tx_hash TEXT,
    commit_attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
  );
  CREATE TABLE updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round INTEGER NOT NULL,
    node_key TEXT,
    digest TEXT,
    verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')),
    reason TEXT,
    base_hash TEXT,
    samples INTEGER NOT NULL,
    train_loss REAL NOT NULL,
    codec TEXT,
    signature TEXT,
    message BLOB,
    bytes INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    peer_id TEXT,
    score REAL,
    CHECK (verdict = 'rejected' OR (message IS NOT NULL AND node_key IS NOT NULL AND digest IS NOT NULL))
  );
  CREATE UNIQUE INDEX updates_one_accepted_per_node ON updates (round, node_key) WHERE verdict = 'accepted';
  CREATE INDEX updates_by_round ON updates (round, verdict);
  CREATE TABLE rewards (
    round INTEGER NOT NULL,
    owner TEXT NOT NULL,
    amount TEXT NOT NULL,
    samples INTEGER NOT NULL,
    counted INTEGER NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (round, owner)
  );
  CREATE TABLE equivocations (
    evidence_hash TEXT PRIMARY KEY,
    node_key TEXT NOT NULL,
    round INTEGER NOT NULL,
    first_digest TEXT NOT NULL,
    second_digest TEXT NOT NULL,
    first_message BLOB NOT NULL,
    second_message BLOB NOT NULL,
    detected_ms INTEGER NOT NULL,
    slash_status TEXT NOT NULL DEFAULT 'pending' CHECK (slash_status IN ('pending', 'slashed', 'failed')),
    slash_tx TEXT,
    slash_error TEXT
  );
  CREATE TABLE checkpoints (
    model_hash TEXT PRIMARY KEY,
    round INTEGER NOT NULL,
    path TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
  );
  `,
  // Refused gossip is counted per round, peer and reason, not kept a row per message.
  `
  CREATE TABLE refusals (
    round INTEGER NOT NULL,
    peer_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    node_key TEXT,
    count INTEGER NOT NULL,
    first_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    PRIMARY KEY (round, peer_id, reason)
  );
  `,
  // Committed rounds a challenge voided on chain, as they were committed, kept for the record
  // (the rounds table holds the round again once it is collected anew).
  `
  CREATE TABLE voided_rounds (
    round INTEGER NOT NULL,
    base_hash TEXT NOT NULL,
    model_hash TEXT,
    rewards_root TEXT,
    tx_hash TEXT,
    voided_ms INTEGER NOT NULL
  );
  `,
  // Commit, then reveal: each node's commitment per round, and when each round's reveal opened.
  `
  CREATE TABLE commitments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round INTEGER NOT NULL,
    node_key TEXT NOT NULL,
    update_digest TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    peer_id TEXT
  );
  CREATE UNIQUE INDEX commitments_one_per_node ON commitments (round, node_key);
  ALTER TABLE rounds ADD COLUMN revealed_ms INTEGER;
  `,
  // The audit verdicts peers gossiped (validated: signed by an active node key, on exactly what the
  // ledger holds for the round), one per node key per committed version of a round: the first stays.
  `
  CREATE TABLE verdicts (
    round INTEGER NOT NULL,
    model_hash TEXT NOT NULL,
    rewards_root TEXT NOT NULL,
    node_key TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('match', 'mismatch', 'unavailable')),
    signature TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    peer_id TEXT,
    PRIMARY KEY (round, model_hash, node_key)
  );
  `,
];

type Row = Record<string, SQLInputValue>;

/**
 * The coordinator's working state in one SQLite file (WAL, synchronous=FULL): every method is
 * one statement or one transaction, so a SIGKILL at any instant leaves either all of a change
 * or none of it. Any SQLite failure surfaces as a StoreError naming the file and the operation.
 */
export class CoordinatorStore implements RoundJournal {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private depth = 0;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.db = db;
  }

  /** Opens (creating if needed) the database at `path` and brings its schema up to date. */
  static open(path: string): CoordinatorStore {
    let db: DatabaseSync;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new DatabaseSync(path);
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
    } catch (cause) {
      throw new StoreError(
        `cannot open the coordinator database ${path}: ${(cause as Error).message}; check that the directory is writable and that no other coordinator holds it`,
        { cause, value: path },
      );
    }
    const store = new CoordinatorStore(path, db);
    store.migrate();
    return store;
  }

  /** The schema version this database is at. */
  schemaVersion(): number {
    return this.guard('read the schema version', () => Number((this.db.prepare('PRAGMA user_version').get() as Row).user_version));
  }

  close(): void {
    if (!this.db.isOpen) return;
    this.statements.clear();
    this.db.close();
  }

  /** Runs `fn` in one transaction (nested calls join the outer one); rolls back if it throws. */
  transaction<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.guard('begin a transaction', () => this.db.exec('BEGIN IMMEDIATE'));
    this.depth += 1;
    try {
      const result = fn();
      this.guard('commit a transaction', () => this.db.exec('COMMIT'));
      return result;
    } catch (error) {
      if (this.db.isOpen) {
        try {
          this.db.exec('ROLLBACK');
        } catch {
          // The transaction is already gone (SQLite rolls back by itself on some errors).
        }
      }
      throw error;
    } finally {
      this.depth -= 1;
    }
  }

  // ---- meta -------------------------------------------------------------------------------

  getMeta(key: string): string | null {
    const row = this.get('SELECT value FROM meta WHERE key = ?', [key]);
    return row ? String(row.value) : null;
  }

  setMeta(key: string, value: string): void {
    this.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  /**
   * Ties the database to one chain and ledger: a database reused against another deployment
   * would resume rounds that do not exist there, so that is refused.
   */
  bindDeployment(chainId: number, ledger: Hex): void {
    const wanted = `${chainId}:${ledger.toLowerCase()}`;
    this.transaction(() => {
      const bound = this.getMeta('deployment');
      if (bound === null) this.setMeta('deployment', wanted);
      else if (bound !== wanted) {
        throw new StoreError(
          `the coordinator database ${this.path} belongs to deployment ${bound}, not ${wanted}; use another data directory for this deployment`,
          { value: { bound, wanted } },
        );
      }
    });
  }

  // ---- nodes ------------------------------------------------------------------------------

  /** Records a node as the registry reports it now (owner, stake, active). */
  upsertNode(node: { nodeKey: Hex; owner: Hex; stake: bigint; active: boolean }, nowMs: number): void {
    this.run(
      `INSERT INTO nodes (node_key, owner, stake, active, first_seen_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (node_key) DO UPDATE SET owner = excluded.owner, stake = excluded.stake, active = excluded.active`,
      [node.nodeKey, node.owner, node.stake.toString(), node.active ? 1 : 0, nowMs],
    );
  }

  /** Records a heartbeat from a node for a round (counted, first and last time kept). */
  recordHeartbeat(nodeKey: Hex, round: number, nowMs: number): void {
    this.transaction(() => {
      this.run(
        `INSERT INTO heartbeats (node_key, round, first_ms, last_ms, count) VALUES (?, ?, ?, ?, 1)
         ON CONFLICT (node_key, round) DO UPDATE SET last_ms = excluded.last_ms, count = count + 1`,
        [nodeKey, round, nowMs, nowMs],
      );
      this.run(
        `UPDATE nodes SET last_seen_ms = MAX(COALESCE(last_seen_ms, 0), ?),
           last_heartbeat_round = MAX(COALESCE(last_heartbeat_round, -1), ?) WHERE node_key = ?`,
        [nowMs, round, nodeKey],
      );
    });
  }

  /** After a round closes: contributors reset their missed-round count, other active nodes add one. */
  recordRoundAttendance(round: number, contributors: readonly Hex[]): void {
    this.transaction(() => {
      const placeholders = contributors.map(() => '?').join(', ');
      const notIn = contributors.length > 0 ? `AND node_key NOT IN (${placeholders})` : '';
      this.run(`UPDATE nodes SET missed_rounds = missed_rounds + 1 WHERE active = 1 ${notIn}`, [...contributors]);
      if (contributors.length > 0) {
        this.run(`UPDATE nodes SET missed_rounds = 0, last_update_round = MAX(COALESCE(last_update_round, -1), ?) WHERE node_key IN (${placeholders})`, [
          round,
          ...contributors,
        ]);
      }
    });
  }

  getNode(nodeKey: Hex): NodeRow | null {
    const row = this.get('SELECT * FROM nodes WHERE node_key = ?', [nodeKey]);
    return row ? toNode(row) : null;
  }

  listNodes(): NodeRow[] {
    return this.all('SELECT * FROM nodes ORDER BY node_key').map(toNode);
  }

  // ---- updates ----------------------------------------------------------------------------

  /**
   * Persists a received update with its verdict. Returns false (and stores nothing) when the
   * node already has an accepted update in that round: the first one stays.
   */
  /** The wire bytes (payload inline) of the stored update with EIP-712 digest `digest`: served to auditors that missed it. */
  updateMessage(digest: Hex): Uint8Array | undefined {
    const row = this.get('SELECT message FROM updates WHERE digest = ? AND message IS NOT NULL LIMIT 1', [digest.toLowerCase()]);
    return row?.message instanceof Uint8Array ? row.message : undefined;
  }

  insertUpdate(update: UpdateRecord): boolean {
    return this.transaction(() => {
      const result = this.run(
        `INSERT INTO updates (round, node_key, digest, verdict, reason, base_hash, samples, train_loss, codec, signature, message, bytes, received_ms, peer_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [
          update.round,
          update.nodeKey,
          update.digest,
          update.verdict,
          update.reason,
          update.baseHash,
          update.samples,
          update.trainLoss,
          update.codec,
          update.signature,
          update.message,
          update.bytes,
          update.receivedMs,
          update.peerId,
        ],
      );
      const inserted = Number(result.changes) > 0;
      if (inserted && update.verdict === 'accepted') {
        this.run('UPDATE nodes SET last_seen_ms = MAX(COALESCE(last_seen_ms, 0), ?) WHERE node_key = ?', [update.receivedMs, update.nodeKey]);
      }
      return inserted;
    });
  }

  /** The accepted updates of a round, in arrival order. */
  acceptedUpdates(round: number): AcceptedUpdateRow[] {
    return this.all(
      `SELECT updates.*, commitments.id AS commit_id FROM updates LEFT JOIN commitments ON commitments.round = updates.round AND commitments.node_key = updates.node_key
       WHERE updates.round = ? AND verdict = 'accepted' ORDER BY updates.id`,
      [round],
    ).map((row) => ({ ...toUpdate(row), commitOrder: optionalNumber(row.commit_id) ?? Number(row.id) }) as AcceptedUpdateRow);
  }

  // ---- commitments ------------------------------------------------------------------------

  /** Journals a commitment; false (and nothing stored) when the node already has one in the round: the first stays. */
  insertCommitment(commitment: CommitmentRecord): boolean {
    const result = this.run(
      'INSERT INTO commitments (round, node_key, update_digest, signature, received_ms, peer_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [commitment.round, commitment.nodeKey, commitment.updateDigest, commitment.signature, commitment.receivedMs, commitment.peerId],
    );
    return Number(result.changes) > 0;
  }

  /** A round's commitments, in arrival order. */
  acceptedCommitments(round: number): AcceptedCommitment[] {
    return this.all('SELECT node_key, update_digest FROM commitments WHERE round = ? ORDER BY id', [round]).map((row) => ({
      nodeKey: String(row.node_key) as Hex,
      digest: String(row.update_digest) as Hex,
    }));
  }

  /** Drops a round's commitments and reveal: it is collected again from scratch after its aggregation failed. */
  forgetCommitments(round: number): void {
    this.transaction(() => {
      this.run('DELETE FROM commitments WHERE round = ?', [round]);
      this.run('UPDATE rounds SET revealed_ms = NULL WHERE round = ?', [round]);
    });
  }

  /** Records when a round's reveal opened, or (null) that it takes commitments again. */
  setRevealed(round: number, revealedMs: number | null): void {
    this.run('UPDATE rounds SET revealed_ms = ? WHERE round = ?', [revealedMs, round]);
  }

  /**
   * Turns a round's accepted updates (those with `digests`, or all) into rejected ones with
   * `reason`: after its aggregation failed and the round is collected again from scratch, or when
   * some are set aside before aggregating, so the store matches what the round is made of.
   */
  rejectAcceptedUpdates(round: number, reason: string, digests?: readonly Hex[]): number {
    const only = digests === undefined ? '' : `AND digest IN (${digests.map(() => '?').join(', ') || 'NULL'})`;
    const result = this.run(`UPDATE updates SET verdict = 'rejected', reason = ?, message = NULL WHERE round = ? AND verdict = 'accepted' ${only}`, [reason, round, ...(digests ?? [])]);
    return Number(result.changes);
  }

  /** A node's accepted update in a round, if any. */
  acceptedUpdateOf(round: number, nodeKey: Hex): AcceptedUpdateRow | null {
    return this.acceptedUpdates(round).find((update) => update.nodeKey === nodeKey) ?? null;
  }

  /** A round's updates (accepted and rejected), in arrival order, without the message bytes; all of them unless a page is asked for. */
  roundUpdates(round: number, page: Page = { limit: -1, offset: 0 }): UpdateRow[] {
    return this.all(`SELECT ${UPDATE_COLUMNS_BUT_MESSAGE} FROM updates WHERE round = ? ORDER BY id LIMIT ? OFFSET ?`, [round, page.limit, page.offset]).map(toUpdate);
  }

  /** How many update rows a round has (accepted and rejected). */
  countRoundUpdates(round: number): number {
    return Number(this.get('SELECT COUNT(*) AS n FROM updates WHERE round = ?', [round])?.n ?? 0);
  }

  /** The digests a round was aggregated from (accepted and scored), sorted: the leaves of its updatesRoot. */
  aggregatedDigests(round: number): Hex[] {
    return this.all("SELECT digest FROM updates WHERE round = ? AND verdict = 'accepted' AND score IS NOT NULL ORDER BY digest", [round]).map((row) => String(row.digest) as Hex);
  }

  // ---- refusals ---------------------------------------------------------------------------

  /** Adds refusal counts (one transaction), merging with what each round, peer and reason has. */
  addRefusals(counts: readonly RefusalCount[]): void {
    if (counts.length === 0) return;
    this.transaction(() => {
      for (const entry of counts) {
        this.run(
          `INSERT INTO refusals (round, peer_id, reason, node_key, count, first_ms, last_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (round, peer_id, reason) DO UPDATE SET count = count + excluded.count, node_key = COALESCE(excluded.node_key, node_key),
             first_ms = MIN(first_ms, excluded.first_ms), last_ms = MAX(last_ms, excluded.last_ms)`,
          [entry.round, entry.peerId, entry.reason, entry.nodeKey, entry.count, entry.firstMs, entry.lastMs],
        );
      }
    });
  }

  /** A round's refusal counts, most refused first. */
  roundRefusals(round: number, page: Page): RefusalCount[] {
    return this.all('SELECT * FROM refusals WHERE round = ? ORDER BY count DESC, peer_id, reason LIMIT ? OFFSET ?', [round, page.limit, page.offset]).map(toRefusal);
  }

  /** How many (peer, reason) counts a round has, and how many messages they add up to. */
  refusalTotals(round: number): { entries: number; messages: number } {
    const row = this.get('SELECT COUNT(*) AS entries, COALESCE(SUM(count), 0) AS messages FROM refusals WHERE round = ?', [round]);
    return { entries: Number(row?.entries ?? 0), messages: Number(row?.messages ?? 0) };
  }

  /** How many updates a round accepted and rejected, by reason. */
  updateCounts(round: number): { accepted: number; rejected: Record<string, number> } {
    const rows = this.all('SELECT verdict, reason, COUNT(*) AS n FROM updates WHERE round = ? GROUP BY verdict, reason', [round]);
    const rejected: Record<string, number> = {};
    let accepted = 0;
    for (const row of rows) {
      if (row.verdict === 'accepted') accepted += Number(row.n);
      else rejected[String(row.reason)] = Number(row.n);
    }
    return { accepted, rejected };
  }

  // ---- rounds -----------------------------------------------------------------------------

  /** Opens a round on top of `baseHash`; opening an already open round again is a no-op. */
  openRound(round: number, baseHash: Hex, nowMs: number): RoundRow {
    return this.transaction(() => {
      const existing = this.getRound(round);
      if (existing) {
        if (existing.baseHash !== baseHash) {
          throw new StoreError(
            `round ${round} is already in the database on base ${existing.baseHash}, not ${baseHash}; the database does not match the chain, use a fresh data directory`,
            { value: { round, stored: existing.baseHash, wanted: baseHash } },
          );
        }
        return existing;
      }
      this.run("INSERT INTO rounds (round, state, base_hash, opened_ms) VALUES (?, 'open', ?, ?)", [round, baseHash, nowMs]);
      return this.getRound(round) as RoundRow;
    });
  }

  getRound(round: number): RoundRow | null {
    const row = this.get('SELECT * FROM rounds WHERE round = ?', [round]);
    return row ? toRound(row) : null;
  }

  /** The highest-numbered round the database knows, whatever its state. */
  latestRound(): RoundRow | null {
    const row = this.get('SELECT * FROM rounds ORDER BY round DESC LIMIT 1');
    return row ? toRound(row) : null;
  }

  /** The highest committed round, or null before the first commit. */
  latestCommittedRound(): RoundRow | null {
    const row = this.get("SELECT * FROM rounds WHERE state = 'committed' ORDER BY round DESC LIMIT 1");
    return row ? toRound(row) : null;
  }

  /** Rounds, newest first. */
  listRounds(options: { limit: number; before?: number }): RoundRow[] {
    const before = options.before ?? Number.MAX_SAFE_INTEGER;
    return this.all('SELECT * FROM rounds WHERE round < ? ORDER BY round DESC LIMIT ?', [before, options.limit]).map(toRound);
  }

  /**
   * Records the outcome of a round in one transaction: the round's result, each update's
   * score, and the round's rewards (replacing any earlier rows of that round, so that
   * re-aggregating after a crash never counts a reward twice).
   */
  markAggregated(round: number, result: RoundResult, scores: ReadonlyMap<Hex, number>, rewards: readonly Omit<RewardRow, 'round'>[], nowMs: number): void {
    this.transaction(() => {
      const current = this.requireRound(round);
      if (current.state !== 'open') {
        throw new StoreError(`round ${round} is ${current.state}, not open; it cannot be aggregated again`, { value: { round, state: current.state } });
      }
      this.run(
        `UPDATE rounds SET state = 'aggregated', closed_ms = ?, model_hash = ?, updates_root = ?, rewards_root = ?, contributors = ?,
           total_samples = ?, loss = ?, accuracy = ?, reward_budget = ?, stats = ? WHERE round = ?`,
        [
          nowMs,
          result.modelHash,
          result.updatesRoot,
          result.rewardsRoot,
          result.contributors,
          result.totalSamples,
          result.loss,
          result.accuracy,
          result.rewardBudget.toString(),
          JSON.stringify(result.stats ?? null),
          round,
        ],
      );
      for (const [digest, score] of scores) {
        this.run("UPDATE updates SET score = ? WHERE round = ? AND digest = ? AND verdict = 'accepted'", [score, round, digest]);
      }
      this.run('DELETE FROM rewards WHERE round = ?', [round]);
      for (const reward of rewards) {
        this.run('INSERT INTO rewards (round, owner, amount, samples, counted, score) VALUES (?, ?, ?, ?, ?, ?)', [
          round,
          reward.owner,
          reward.amount.toString(),
          reward.samples,
          reward.counted ? 1 : 0,
          reward.score,
        ]);
      }
    });
  }

  /** Notes that a commit transaction is about to be sent (counts attempts; survives a crash). */
  markCommitting(round: number): RoundRow {
    return this.transaction(() => {
      const current = this.requireRound(round);
      if (current.state !== 'aggregated' && current.state !== 'committing') {
        throw new StoreError(`round ${round} is ${current.state}; only an aggregated round can be committed`, { value: { round, state: current.state } });
      }
      this.run("UPDATE rounds SET state = 'committing', commit_attempts = commit_attempts + 1 WHERE round = ?", [round]);
      return this.requireRound(round);
    });
  }

  /** Keeps the last commit error of a round for the API and the logs. */
  recordCommitError(round: number, message: string): void {
    this.run('UPDATE rounds SET last_error = ? WHERE round = ?', [message, round]);
  }

  /** The round is on chain: its transaction hash (null when found on chain after a crash). */
  markCommitted(round: number, txHash: Hex | null, nowMs: number): void {
    this.transaction(() => {
      const current = this.requireRound(round);
      if (current.state === 'committed') return;
      if (current.state === 'open') {
        throw new StoreError(`round ${round} is still open; it cannot be marked committed`, { value: { round } });
      }
      this.run("UPDATE rounds SET state = 'committed', tx_hash = COALESCE(?, tx_hash), committed_ms = ?, last_error = NULL WHERE round = ?", [
        txHash,
        nowMs,
        round,
      ]);
    });
  }

  /**
   * A challenge voided rounds `fromRound` onwards on chain: they are copied to voided_rounds,
   * their rewards and scores go, rounds after `fromRound` leave the rounds table, and `fromRound`
   * is open again on its own base (the chain's head now) with its accepted updates kept, since
   * the nodes that signed them never sign that round again. The commitments and accepted updates
   * of later rounds stay too: `keptFromVoid` hands them back if their round opens again on the
   * same base. Returns the committed rounds it voided.
   */
  markRoundsVoided(fromRound: number, nowMs: number): number[] {
    return this.transaction(() => {
      const voided = this.all("SELECT round FROM rounds WHERE round >= ? AND state = 'committed' ORDER BY round", [fromRound]).map((row) => Number(row.round));
      this.run('INSERT INTO voided_rounds (round, base_hash, model_hash, rewards_root, tx_hash, voided_ms) SELECT round, base_hash, model_hash, rewards_root, tx_hash, ? FROM rounds WHERE round >= ?', [
        nowMs,
        fromRound,
      ]);
      this.run('DELETE FROM rewards WHERE round >= ?', [fromRound]);
      this.run('UPDATE updates SET score = NULL WHERE round >= ?', [fromRound]);
      this.run('DELETE FROM rounds WHERE round > ?', [fromRound]);
      this.run(
        `UPDATE rounds SET state = 'open', opened_ms = ?, closed_ms = NULL, committed_ms = NULL, model_hash = NULL, updates_root = NULL, rewards_root = NULL,
           contributors = NULL, total_samples = NULL, loss = NULL, accuracy = NULL, reward_budget = NULL, stats = NULL, tx_hash = NULL, commit_attempts = 0, last_error = NULL
         WHERE round = ?`,
        [nowMs, fromRound],
      );
      return voided;
    });
  }

  /** Rounds a void took back (committed ones with their model, open ones without), newest void first. */
  voidedRounds(): { round: number; baseHash: Hex; modelHash: Hex | null; rewardsRoot: Hex | null; txHash: Hex | null; voidedMs: number }[] {
    return this.all('SELECT * FROM voided_rounds ORDER BY voided_ms DESC, round').map((row) => ({
      round: Number(row.round),
      baseHash: String(row.base_hash) as Hex,
      modelHash: optionalString<Hex>(row.model_hash),
      rewardsRoot: optionalString<Hex>(row.rewards_root),
      txHash: optionalString<Hex>(row.tx_hash),
      voidedMs: Number(row.voided_ms),
    }));
  }

  /**
   * What the journal kept of `round` from before a void, now that the round opens again on
   * `baseHash`: nothing unless a void took the round back. When the round had that same base,
   * its commitments and accepted updates, for the round to take back: the nodes that sent them
   * never sign that round again, and gossip drops their re-sends as duplicates. When it had
   * another base they can never join it: commitments deleted, updates rejected (`voided_base`).
   */
  keptFromVoid(round: number, baseHash: Hex): { commitments: AcceptedCommitment[]; updates: AcceptedUpdateRow[] } {
    return this.transaction(() => {
      const voided = this.get('SELECT base_hash FROM voided_rounds WHERE round = ? ORDER BY voided_ms DESC LIMIT 1', [round]);
      if (voided === undefined) return { commitments: [], updates: [] };
      if (String(voided.base_hash).toLowerCase() !== baseHash.toLowerCase()) {
        this.run('DELETE FROM commitments WHERE round = ?', [round]);
        this.rejectAcceptedUpdates(round, 'voided_base');
        return { commitments: [], updates: [] };
      }
      return { commitments: this.acceptedCommitments(round), updates: this.acceptedUpdates(round) };
    });
  }

  // ---- rewards ----------------------------------------------------------------------------

  roundRewards(round: number): RewardRow[] {
    return this.all('SELECT * FROM rewards WHERE round = ? ORDER BY owner', [round]).map(toReward);
  }

  /**
   * The reward rows that make up the cumulative figures as of `round`: those of every committed
   * round before it, plus `round` itself whatever its state (so that the tree of a round about to
   * be committed can be built). In round order.
   */
  rewardRowsAsOf(round: number): RewardRow[] {
    return this.all(
      `SELECT rw.* FROM rewards rw JOIN rounds r ON r.round = rw.round
       WHERE rw.round = ? OR (rw.round < ? AND r.state = 'committed') ORDER BY rw.round, rw.owner`,
      [round, round],
    ).map(toReward);
  }

  // ---- audit verdicts ----------------------------------------------------------------------

  /**
   * Keeps a validated audit verdict; false (and nothing stored) when its node key already has one
   * on that commit of the round. Bounded: at most one row per active node key per committed
   * version of a round (a new version needs a void, which costs the coordinator its bond).
   */
  recordVerdict(verdict: VerdictRecord): boolean {
    const result = this.run(
      `INSERT INTO verdicts (round, model_hash, rewards_root, node_key, verdict, signature, received_ms, peer_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [verdict.round, verdict.modelHash.toLowerCase(), verdict.rewardsRoot.toLowerCase(), getAddress(verdict.nodeKey), verdict.verdict, verdict.signature, verdict.receivedMs, verdict.peerId],
    );
    return Number(result.changes) > 0;
  }

  /** The verdicts on round `round` as committed with `modelHash`, by node key. */
  roundVerdicts(round: number, modelHash: Hex): VerdictRecord[] {
    return this.all('SELECT * FROM verdicts WHERE round = ? AND model_hash = ? ORDER BY node_key', [round, modelHash.toLowerCase()]).map((row) => ({
      round: Number(row.round),
      modelHash: String(row.model_hash) as Hex,
      rewardsRoot: String(row.rewards_root) as Hex,
      nodeKey: String(row.node_key) as Hex,
      verdict: String(row.verdict) as VerdictKind,
      signature: String(row.signature) as Hex,
      receivedMs: Number(row.received_ms),
      peerId: row.peer_id === null ? null : String(row.peer_id),
    }));
  }

  // ---- equivocation -----------------------------------------------------------------------

  /** Keeps equivocation evidence; returns false when the same evidence is already kept. */
  recordEquivocation(evidence: EquivocationRecord): boolean {
    const result = this.run(
      `INSERT INTO equivocations (evidence_hash, node_key, round, first_digest, second_digest, first_message, second_message, detected_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [
        evidence.evidenceHash,
        evidence.nodeKey,
        evidence.round,
        evidence.firstDigest,
        evidence.secondDigest,
        evidence.first,
        evidence.second,
        evidence.detectedMs,
      ],
    );
    return Number(result.changes) > 0;
  }

  listEquivocations(status?: SlashStatus): EquivocationRow[] {
    const rows = status
      ? this.all('SELECT * FROM equivocations WHERE slash_status = ? ORDER BY detected_ms', [status])
      : this.all('SELECT * FROM equivocations ORDER BY detected_ms');
    return rows.map(toEquivocation);
  }

  /** Whether a node was already slashed (or is queued to be) in a round: one slash per offence. */
  hasEquivocation(nodeKey: Hex, round: number): boolean {
    return this.get('SELECT 1 AS found FROM equivocations WHERE node_key = ? AND round = ?', [nodeKey, round]) !== undefined;
  }

  markSlash(evidenceHash: Hex, outcome: { status: SlashStatus; txHash?: Hex; error?: string }): void {
    this.run('UPDATE equivocations SET slash_status = ?, slash_tx = COALESCE(?, slash_tx), slash_error = ? WHERE evidence_hash = ?', [
      outcome.status,
      outcome.txHash ?? null,
      outcome.error ?? null,
      evidenceHash,
    ]);
  }

  // ---- checkpoints ------------------------------------------------------------------------

  recordCheckpoint(checkpoint: CheckpointRow): void {
    this.run('INSERT INTO checkpoints (model_hash, round, path, bytes, created_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [
      checkpoint.modelHash,
      checkpoint.round,
      checkpoint.path,
      checkpoint.bytes,
      checkpoint.createdMs,
    ]);
  }

  getCheckpoint(modelHash: Hex): CheckpointRow | null {
    const row = this.get('SELECT * FROM checkpoints WHERE model_hash = ?', [modelHash]);
    return row ? toCheckpoint(row) : null;
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private migrate(): void {
    const from = this.schemaVersion();
    if (from > MIGRATIONS.length) {
      throw new StoreError(
        `the coordinator database ${this.path} has schema version ${from}, newer than this coordinator knows (${MIGRATIONS.length}); upgrade gradnet`,
        { value: from },
      );
    }
    for (let version = from; version < MIGRATIONS.length; version += 1) {
      this.transaction(() => {
        this.guard(`migrate to schema version ${version + 1}`, () => {
          this.db.exec(MIGRATIONS[version] as string);
          this.db.exec(`PRAGMA user_version = ${version + 1}`);
        });
      });
    }
  }

  private requireRound(round: number): RoundRow {
    const row = this.getRound(round);
    if (!row) throw new StoreError(`round ${round} is not in the coordinator database`, { value: round });
    return row;
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private run(sql: string, params: readonly SQLInputValue[] = []): { changes: number | bigint } {
    return this.guard(describe(sql), () => this.statement(sql).run(...params));
  }

  private get(sql: string, params: readonly SQLInputValue[] = []): Row | undefined {
    return this.guard(describe(sql), () => this.statement(sql).get(...params) as Row | undefined);
  }

  private all(sql: string, params: readonly SQLInputValue[] = []): Row[] {
    return this.guard(describe(sql), () => this.statement(sql).all(...params) as Row[]);
  }

  /** Turns any SQLite failure into a StoreError that says which file and which operation. */
  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      if (cause instanceof StoreError) throw cause;
      throw new StoreError(
        `coordinator database ${this.path} failed to ${what}: ${(cause as Error).message}; the coordinator stops here (no partial write was kept), fix the disk or file and restart it`,
        { cause, value: what },
      );
    }
  }
}

function describe(sql: string): string {
  return `run "${sql.replace(/\s+/g, ' ').trim().slice(0, 60)}…"`;
}

function optionalNumber(value: SQLInputValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function optionalString<T extends string = string>(value: SQLInputValue | undefined): T | null {
  return value === null || value === undefined ? null : (String(value) as T);
}

function toNode(row: Row): NodeRow {
  return {
    nodeKey: String(row.node_key) as Hex,
    owner: String(row.owner) as Hex,
    stake: BigInt(String(row.stake)),
    active: Number(row.active) === 1,
    firstSeenMs: Number(row.first_seen_ms),
    lastSeenMs: optionalNumber(row.last_seen_ms),
    lastHeartbeatRound: optionalNumber(row.last_heartbeat_round),
    lastUpdateRound: optionalNumber(row.last_update_round),
    missedRounds: Number(row.missed_rounds),
  };
}

const UPDATE_COLUMNS_BUT_MESSAGE = 'id, round, node_key, digest, verdict, reason, base_hash, samples, train_loss, codec, signature, bytes, received_ms, peer_id, score';

function toRefusal(row: Row): RefusalCount {
  return {
    round: Number(row.round),
    peerId: String(row.peer_id),
    reason: String(row.reason),
    nodeKey: optionalString<Hex>(row.node_key),
    count: Number(row.count),
    firstMs: Number(row.first_ms),
    lastMs: Number(row.last_ms),
  };
}

function toUpdate(row: Row): UpdateRow {
  return {
    id: Number(row.id),
    round: Number(row.round),
    nodeKey: optionalString<Hex>(row.node_key),
    digest: optionalString<Hex>(row.digest),
    verdict: String(row.verdict) as UpdateVerdict,
    reason: optionalString(row.reason),
    baseHash: optionalString<Hex>(row.base_hash),
    samples: Number(row.samples),
    trainLoss: Number(row.train_loss),
    codec: optionalString(row.codec),
    signature: optionalString<Hex>(row.signature),
    message: row.message instanceof Uint8Array ? row.message : null,
    bytes: Number(row.bytes),
    receivedMs: Number(row.received_ms),
    peerId: optionalString(row.peer_id),
    score: optionalNumber(row.score),
  };
}

function toRound(row: Row): RoundRow {
  const base: RoundRow = {
    round: Number(row.round),
    state: String(row.state) as RoundRowStatus,
    baseHash: String(row.base_hash) as Hex,
    openedMs: Number(row.opened_ms),
    revealedMs: optionalNumber(row.revealed_ms),
    closedMs: optionalNumber(row.closed_ms),
    committedMs: optionalNumber(row.committed_ms),
    txHash: optionalString<Hex>(row.tx_hash),
    commitAttempts: Number(row.commit_attempts),
    lastError: optionalString(row.last_error),
  };
  if (row.model_hash === null || row.model_hash === undefined) return base;
  return {
    ...base,
    modelHash: String(row.model_hash) as Hex,
    updatesRoot: String(row.updates_root) as Hex,
    rewardsRoot: String(row.rewards_root) as Hex,
    contributors: Number(row.contributors),
    totalSamples: Number(row.total_samples),
    loss: Number(row.loss),
    accuracy: Number(row.accuracy),
    rewardBudget: BigInt(String(row.reward_budget)),
    stats: JSON.parse(String(row.stats)) as unknown,
  };
}

function toReward(row: Row): RewardRow {
  return {
    round: Number(row.round),
    owner: String(row.owner) as Hex,
    amount: BigInt(String(row.amount)),
    samples: Number(row.samples),
    counted: Number(row.counted) === 1,
    score: Number(row.score),
  };
}

function toEquivocation(row: Row): EquivocationRow {
  return {
    evidenceHash: String(row.evidence_hash) as Hex,
    nodeKey: String(row.node_key) as Hex,
    round: Number(row.round),
    firstDigest: String(row.first_digest) as Hex,
    secondDigest: String(row.second_digest) as Hex,
    first: row.first_message as Uint8Array,
    second: row.second_message as Uint8Array,
    detectedMs: Number(row.detected_ms),
    slashStatus: String(row.slash_status) as SlashStatus,
    slashTx: optionalString<Hex>(row.slash_tx),
    slashError: optionalString(row.slash_error),
  };
}

function toCheckpoint(row: Row): CheckpointRow {
  return {
    modelHash: String(row.model_hash) as Hex,
    round: Number(row.round),
    path: String(row.path),
    bytes: Number(row.bytes),
    createdMs: Number(row.created_ms),
  };
}
