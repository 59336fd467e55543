import { isHex, zeroHash, type Address, type Hex } from 'viem';
import { FIXED_POINT_SCALE } from '../units/index.ts';
import {
  challengeWindow,
  commitRound,
  committedAt,
  committerOf,
  contractAt,
  coordinator,
  deployedAtBlock,
  genesisModelHash,
  getRound,
  getRoundCommittedEvents,
  getRoundsVoidedEvents,
  hasRole,
  isFinal,
  latestModelHash,
  maxRewardBudget,
  rewardsRootOf,
  roundCount,
  totalRewardBudget,
  type ActionOptions,
  type ContractAt,
  type GetRoundCommittedEventsReturnType,
  type SentTransaction,
} from './actions/index.ts';
import type { ChainClients } from './clients.ts';
import { ChainError, ChainInputError, ContractRevertError } from './errors.ts';

/** What the coordinator commits per round (`loss` and `accuracy` are fixed point 1e6 integers). */
export interface RoundRecord {
  roundId: number;
  modelHash: Hex;
  parentHash: Hex;
  updatesRoot: Hex;
  rewardsRoot: Hex;
  contributors: number;
  totalSamples: number;
  loss: number;
  accuracy: number;
  /** Tokens (wei) this round adds to the cumulative rewards. */
  rewardBudget: bigint;
}

/** A committed round: its record plus where and when it was committed. */
export interface CommittedRound extends RoundRecord {
  blockNumber: bigint;
  /** Unix seconds. */
  committedAt: number;
  transactionHash: Hex;
}

/** A commit that a challenge voided: the round id was (or will be) committed again on the restored head. */
export interface VoidedRound extends CommittedRound {
  /** The block and transaction of the `RoundsVoided` event that voided it. */
  voidedInBlock: bigint;
  voidTransactionHash: Hex;
}

/** Where a committed round stands: in its challenge window, or final for good. */
export type RoundStatus = 'pending' | 'final';

const UINT32_MAX = 2 ** 32 - 1;

/** RoundLedger.MAX_PENDING_ROUNDS: round r is committed only once round r − 256 is final. */
export const MAX_PENDING_ROUNDS = 256;

/**
 * The latest final round among 1..`roundCount`, by binary search of `isFinal`: finality is a prefix
 * of the committed rounds, and every round up to max(`knownFinal`, roundCount − MAX_PENDING_ROUNDS)
 * is final already, so only the rounds after that are asked about.
 */
export async function searchLatestFinal(isFinal: (round: number) => Promise<boolean>, roundCount: number, knownFinal = 0): Promise<number> {
  let [final, pending] = [Math.min(roundCount, Math.max(knownFinal, roundCount - MAX_PENDING_ROUNDS)), roundCount + 1];
  while (pending - final > 1) {
    const middle = Math.floor((final + pending) / 2);
    if (await isFinal(middle)) final = middle;
    else pending = middle;
  }
  return final;
}

/** Read and commit rounds on RoundLedger: the ledger actions, in the numbers the coordinator and nodes use. */
export class LedgerClient {
  readonly address: Address;
  readonly #ledger: ContractAt<'RoundLedger'>;
  #fromBlock: Promise<bigint> | undefined;
  /** The latest final round found so far: finality is never undone, so later searches start after it. */
  #knownFinal = 0;

  /** `fromBlock` bounds the event searches; by default the ledger's own deployment block. */
  constructor(clients: ChainClients, address: Address, options: { fromBlock?: bigint | number } = {}) {
    this.address = address;
    this.#ledger = contractAt(clients, 'RoundLedger', address);
    if (options.fromBlock !== undefined) this.#fromBlock = Promise.resolve(BigInt(options.fromBlock));
  }

  #eventsFromBlock(): Promise<bigint> {
    this.#fromBlock ??= deployedAtBlock(this.#ledger).catch((error: unknown) => {
      this.#fromBlock = undefined;
      throw error;
    });
    return this.#fromBlock;
  }

  async roundCount(options: ActionOptions = {}): Promise<number> {
    return Number(await roundCount(this.#ledger, options));
  }

  latestModelHash(options: ActionOptions = {}): Promise<Hex> {
    return latestModelHash(this.#ledger, options);
  }

  genesisModelHash(): Promise<Hex> {
    return genesisModelHash(this.#ledger);
  }

  /**
   * The hashes storage holds for round `roundId` (one read, no log search), or undefined when the
   * round is not committed (UnknownRound): what a gossiped verdict must name.
   */
  async storedRound(roundId: number, options: ActionOptions = {}): Promise<{ modelHash: Hex; parentHash: Hex; rewardsRoot: Hex } | undefined> {
    try {
      const stored = await getRound(this.#ledger, { roundId: BigInt(roundId), signal: options.signal });
      return { modelHash: stored.modelHash, parentHash: stored.parentHash, rewardsRoot: stored.rewardsRoot };
    } catch (error) {
      if (error instanceof ContractRevertError && error.errorName === 'UnknownRound') return undefined;
      throw error;
    }
  }

    rewardsRootOf(roundId: number): Promise<Hex> {
    return rewardsRootOf(this.#ledger, { roundId: BigInt(roundId) });
  }

  totalRewardBudget(): Promise<bigint> {
    return totalRewardBudget(this.#ledger);
  }

  maxRewardBudget(): Promise<bigint> {
    return maxRewardBudget(this.#ledger);
  }

  /** Seconds a committed round stays challengeable before it is final. */
  async challengeWindow(options: ActionOptions = {}): Promise<number> {
    return Number(await challengeWindow(this.#ledger, options));
  }

  /** Unix seconds round `roundId` was committed at (0 for the genesis and rounds older than the ledger's ring of 256). */
  async committedAt(roundId: number, options: ActionOptions = {}): Promise<number> {
    return Number(await committedAt(this.#ledger, { roundId: BigInt(roundId), signal: options.signal }));
  }

  /** Whether round `roundId` is final (committed and its challenge window over) as of the latest block. */
  isFinal(roundId: number, options: ActionOptions = {}): Promise<boolean> {
    return isFinal(this.#ledger, { roundId: BigInt(roundId), signal: options.signal });
  }

  /**
   * 'final' or 'pending' for committed round `roundId`, as of the latest block (on an idle
   * automining devnet that block may be older than the wall clock); throws ChainInputError for a
   * round that is not committed.
   */
  async roundStatus(roundId: number, options: ActionOptions = {}): Promise<RoundStatus> {
    const count = await this.roundCount(options);
    if (!Number.isSafeInteger(roundId) || roundId < 0 || roundId > count) {
      throw new ChainInputError(`round ${roundId} is not committed (rounds 0..${count} are); ask for a committed round`, roundId);
    }
    return (await this.isFinal(roundId, options)) ? 'final' : 'pending';
  }

  /**
   * The latest final round (0 when none is): claims should use its rewards root, whose cumulative
   * leaves cover every earlier round and whose final budget bounds the most. Finality runs in round
   * order (a prefix of the committed rounds, never undone: a challenge voids only pending rounds),
   * so a binary search over `isFinal` finds it, and it searches only what can still be pending:
   * after the latest final round this client found before, and after `roundCount −
   * MAX_PENDING_ROUNDS` (the ledger refuses a commit while the round that many before it is
   * pending). Pass `roundCount` when the caller has just read it; it is read otherwise.
   */
  async latestFinalRound(options: ActionOptions & { roundCount?: number } = {}): Promise<number> {
    const count = options.roundCount ?? (await this.roundCount(options));
    const final = await searchLatestFinal((round) => this.isFinal(round, options), count, this.#knownFinal);
    this.#knownFinal = Math.max(this.#knownFinal, final);
    return final;
  }

  /** The current coordinator (zero address when the role was revoked). */
  coordinator(options: ActionOptions = {}): Promise<Address> {
    return coordinator(this.#ledger, options);
  }

  /** The coordinator whose bond answers for round `roundId`. */
  committerOf(roundId: number, options: ActionOptions = {}): Promise<Address> {
    return committerOf(this.#ledger, { roundId: BigInt(roundId), signal: options.signal });
  }

  /** Whether `account` holds `role` on the ledger (ROLES.coordinator may commit rounds). */
  hasRole(role: Hex, account: Address): Promise<boolean> {
    return hasRole(this.#ledger, { role, account });
  }

  /**
   * Round `roundId` in full: storage holds its hashes, the `RoundCommitted` event the rest.
   * Round 0 is the genesis (metrics zero, block 0). Reverts with UnknownRound past the latest.
   */
  async getRound(roundId: number): Promise<CommittedRound> {
    const stored = await getRound(this.#ledger, { roundId: BigInt(roundId) });
    if (roundId === 0) {
      return {
        roundId: 0, modelHash: stored.modelHash, parentHash: zeroHash, updatesRoot: zeroHash, rewardsRoot: zeroHash,
        contributors: 0, totalSamples: 0, loss: 0, accuracy: 0, rewardBudget: 0n, blockNumber: 0n, committedAt: 0, transactionHash: zeroHash,
      };
    }
    const [round] = await this.listRounds({ fromRound: roundId, toRound: roundId });
    if (!round || round.modelHash !== stored.modelHash) {
      throw new ChainError('ROUND_EVENT_MISSING', `round ${roundId} is committed on ${this.#ledger.clients.rpcUrl} but its RoundCommitted event was not found from block ${await this.#eventsFromBlock()}; use an RPC endpoint that keeps old logs`);
    }
    return round;
  }

  /**
   * Committed rounds from `fromRound` (default 1) to `toRound` (default latest), in order, from their
   * events: for a round id committed again after a void, its latest commit.
   */
  async listRounds(options: { fromRound?: number; toRound?: number } = {}): Promise<CommittedRound[]> {
    const from = options.fromRound ?? 1;
    const to = options.toRound ?? (await this.roundCount());
    if (to < from) return [];
    const events = await getRoundCommittedEvents(this.#ledger, { fromBlock: await this.#eventsFromBlock(), roundId: from === to ? BigInt(from) : undefined });
    // Logs come in chain order, so the last commit of an id is its current one.
    const latest = new Map<number, CommittedRound>();
    for (const event of events) {
      const round = toCommittedRound(event);
      if (round.roundId >= from && round.roundId <= to) latest.set(round.roundId, round);
    }
    return [...latest.values()].sort((a, b) => a.roundId - b.roundId);
  }

  /** Every commit a challenge voided, in chain order, with the void that took it back. */
  async listVoidedRounds(options: ActionOptions = {}): Promise<VoidedRound[]> {
    const fromBlock = await this.#eventsFromBlock();
    const voids = await getRoundsVoidedEvents(this.#ledger, { fromBlock, signal: options.signal });
    if (voids.length === 0) return [];
    const commits = await getRoundCommittedEvents(this.#ledger, { fromBlock, signal: options.signal });
    const position = (log: { blockNumber: bigint; logIndex: number }): bigint => log.blockNumber * 1_000_000n + BigInt(log.logIndex);
    const voided: VoidedRound[] = [];
    for (const commit of commits) {
      // The first void after the commit that covers its round id took it back.
      const undo = voids.find((event) => position(event) > position(commit) && event.args.fromRound <= commit.args.roundId && commit.args.roundId <= event.args.throughRound);
      if (undo) voided.push({ ...toCommittedRound(commit), voidedInBlock: undo.blockNumber, voidTransactionHash: undo.transactionHash });
    }
    return voided;
  }

  /** Commits the next round (COORDINATOR_ROLE) and waits for the receipt. */
  async commitRound(record: RoundRecord, options: ActionOptions = {}): Promise<SentTransaction & { round: CommittedRound }> {
    validateRecord(record);
    const { committed, ...sent } = await commitRound(this.#ledger, {
      record: { ...record, roundId: BigInt(record.roundId), totalSamples: BigInt(record.totalSamples), loss: BigInt(record.loss) },
      signal: options.signal,
    });
    return { ...sent, round: { ...record, blockNumber: sent.blockNumber, committedAt: Number(committed.committedAt), transactionHash: sent.hash } };
  }
}

/** The hashes RoundLedger stores for a round. */
export type StoredRound = NonNullable<Awaited<ReturnType<LedgerClient['storedRound']>>>;

/**
 * `LedgerClient.storedRound` for gossip validation: every verdict on a round names its stored
 * hashes, and the verdicts of all auditors arrive in a burst, so one read serves every verdict on
 * that round for `maxAgeMs` (concurrent asks share the read in flight; a failed read is not kept).
 * The age bounds how stale an answer can be after a challenge voided the round and it was committed
 * anew: a recommit takes a whole round (commitments, reveal, aggregation) and its verdicts a replay
 * after it, far longer than the default 2 s. Bounded: the newest `maxRounds` rounds are kept.
 */
export class StoredRoundCache {
  readonly #ledger: Pick<LedgerClient, 'storedRound'>;
  readonly #maxAgeMs: number;
  readonly #maxRounds: number;
  readonly #now: () => number;
  readonly #byRound = new Map<number, { read: Promise<StoredRound | undefined>; at: number }>();

  constructor(ledger: Pick<LedgerClient, 'storedRound'>, options: { maxAgeMs?: number; maxRounds?: number; now?: () => number } = {}) {
    this.#ledger = ledger;
    this.#maxAgeMs = options.maxAgeMs ?? 2000;
    this.#maxRounds = options.maxRounds ?? MAX_PENDING_ROUNDS;
    this.#now = options.now ?? Date.now;
  }

  /** The stored hashes of round `roundId` (undefined while it is not committed), read at most once per `maxAgeMs`. */
  storedRound(roundId: number, options: ActionOptions = {}): Promise<StoredRound | undefined> {
    const now = this.#now();
    const kept = this.#byRound.get(roundId);
    if (kept !== undefined && now - kept.at < this.#maxAgeMs) return kept.read;
    // Not bound to the first asker's signal: the read serves every verdict of the burst.
    const read = this.#ledger.storedRound(roundId);
    const entry = { read, at: now };
    this.#byRound.delete(roundId);
    this.#byRound.set(roundId, entry);
    read.catch(() => {
      if (this.#byRound.get(roundId) === entry) this.#byRound.delete(roundId);
    });
    // Maps iterate in insertion order: the round asked about longest ago goes first.
    for (const oldest of this.#byRound.keys()) {
      if (this.#byRound.size <= this.#maxRounds) break;
      this.#byRound.delete(oldest);
    }
    return options.signal === undefined ? read : abortable(read, options.signal);
  }
}

/** `promise`, or a rejection as soon as `signal` aborts (the promise itself runs on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A `RoundCommitted` event as the round it records (the ledger client and the explorer read rounds from these events). */
export function toCommittedRound({ args, blockNumber, transactionHash }: GetRoundCommittedEventsReturnType[number]): CommittedRound {
  return { ...toRoundRecord(args), blockNumber, committedAt: Number(args.committedAt), transactionHash };
}

function toRoundRecord(args: GetRoundCommittedEventsReturnType[number]['args']): RoundRecord {
  return {
    roundId: Number(args.roundId),
    modelHash: args.modelHash,
    parentHash: args.parentHash,
    updatesRoot: args.updatesRoot,
    rewardsRoot: args.rewardsRoot,
    contributors: args.contributors,
    totalSamples: Number(args.totalSamples),
    loss: Number(args.loss),
    accuracy: args.accuracy,
    rewardBudget: args.rewardBudget,
  };
}

function validateRecord(record: RoundRecord): void {
  for (const field of ['modelHash', 'parentHash', 'updatesRoot', 'rewardsRoot'] as const) {
    const value = record[field];
    if (!isHex(value, { strict: true }) || value.length !== 66) {
      throw new ChainInputError(`round record ${field} must be a 0x-prefixed 32-byte hex string`, value);
    }
  }
  const integer = (field: 'roundId' | 'contributors' | 'totalSamples' | 'loss' | 'accuracy', max: number): void => {
    const value = record[field];
    if (!Number.isSafeInteger(value) || value < 0 || value > max) {
      throw new ChainInputError(`round record ${field} must be an integer in [0, ${max}]`, value);
    }
  };
  integer('roundId', Number.MAX_SAFE_INTEGER);
  integer('contributors', UINT32_MAX);
  integer('totalSamples', Number.MAX_SAFE_INTEGER);
  integer('loss', Number.MAX_SAFE_INTEGER);
  integer('accuracy', FIXED_POINT_SCALE);
  if (typeof record.rewardBudget !== 'bigint' || record.rewardBudget < 0n || record.rewardBudget >= 2n ** 128n) {
    throw new ChainInputError('round record rewardBudget must be a bigint in [0, 2^128)', record.rewardBudget);
  }
}
