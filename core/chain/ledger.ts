import { isHex, parseEventLogs, zeroHash, type Address, type Hex } from 'viem';
import { roundLedgerAbi } from './abi/RoundLedger.generated.ts';
import type { ChainClients } from './clients.ts';
import { FIXED_POINT_SCALE } from '../units/index.ts';
import { ChainError, ChainInputError } from './errors.ts';
import { readContract, toChainError, writeContract, type ContractTarget, type SentTransaction } from './transactions.ts';

type Signal = { signal?: AbortSignal };

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

const UINT32_MAX = 2 ** 32 - 1;

/** Read and commit rounds on RoundLedger. */
export class LedgerClient {
  readonly address: Address;
  readonly #target: ContractTarget;
  readonly #clients: ChainClients;
  #fromBlock: Promise<bigint> | undefined;

  /** `fromBlock` bounds the event searches; by default the ledger's own deployment block. */
  constructor(clients: ChainClients, address: Address, options: { fromBlock?: bigint | number } = {}) {
    this.address = address;
    this.#clients = clients;
    this.#target = { clients, name: 'RoundLedger', address, abi: roundLedgerAbi };
    if (options.fromBlock !== undefined) this.#fromBlock = Promise.resolve(BigInt(options.fromBlock));
  }

  #eventsFromBlock(): Promise<bigint> {
    this.#fromBlock ??= readContract<bigint>(this.#target, 'deployedAtBlock').catch((error: unknown) => {
      this.#fromBlock = undefined;
      throw error;
    });
    return this.#fromBlock;
  }

  async roundCount(): Promise<number> {
    return Number(await readContract<bigint>(this.#target, 'roundCount'));
  }

  latestModelHash(): Promise<Hex> {
    return readContract<Hex>(this.#target, 'latestModelHash');
  }

  genesisModelHash(): Promise<Hex> {
    return readContract<Hex>(this.#target, 'genesisModelHash');
  }

  rewardsRootOf(roundId: number): Promise<Hex> {
    return readContract<Hex>(this.#target, 'rewardsRootOf', [BigInt(roundId)]);
  }

  totalRewardBudget(): Promise<bigint> {
    return readContract<bigint>(this.#target, 'totalRewardBudget');
  }

  async maxRewardBudget(): Promise<bigint> {
    return readContract<bigint>(this.#target, 'maxRewardBudget');
  }

  /** Whether `account` holds `role` on the ledger (ROLES.coordinator may commit rounds). */
  async hasRole(role: Hex, account: Address): Promise<boolean> {
    try {
      return await this.#clients.publicClient.readContract({ address: this.address, abi: roundLedgerAbi, functionName: 'hasRole', args: [role, account] });
    } catch (error) {
      throw toChainError(error, this.#target, 'hasRole');
    }
  }

  /**
   * Round `roundId` in full: storage holds its hashes, the `RoundCommitted` event the rest.
   * Round 0 is the genesis (metrics zero, block 0). Reverts with UnknownRound past the latest.
   */
  async getRound(roundId: number): Promise<CommittedRound> {
    const stored = await readContract<{ modelHash: Hex; parentHash: Hex; rewardsRoot: Hex }>(this.#target, 'getRound', [BigInt(roundId)]);
    if (roundId === 0) {
      return {
        roundId: 0, modelHash: stored.modelHash, parentHash: zeroHash, updatesRoot: zeroHash, rewardsRoot: zeroHash,
        contributors: 0, totalSamples: 0, loss: 0, accuracy: 0, rewardBudget: 0n, blockNumber: 0n, committedAt: 0, transactionHash: zeroHash,
      };
    }
    const [round] = await this.listRounds({ fromRound: roundId, toRound: roundId });
    if (!round || round.modelHash !== stored.modelHash) {
      throw new ChainError('ROUND_EVENT_MISSING', `round ${roundId} is committed on ${this.#clients.rpcUrl} but its RoundCommitted event was not found from block ${await this.#eventsFromBlock()}; use an RPC endpoint that keeps old logs`);
    }
    return round;
  }

  /** Committed rounds from `fromRound` (default 1) to `toRound` (default latest), in order, from their events. */
  async listRounds(options: { fromRound?: number; toRound?: number } = {}): Promise<CommittedRound[]> {
    const from = options.fromRound ?? 1;
    const to = options.toRound ?? (await this.roundCount());
    if (to < from) return [];
    const fromBlock = await this.#eventsFromBlock();
    let logs;
    try {
      logs = await this.#clients.publicClient.getContractEvents({
        address: this.address,
        abi: roundLedgerAbi,
        eventName: 'RoundCommitted',
        args: from === to ? { roundId: BigInt(from) } : undefined,
        fromBlock,
        toBlock: 'latest',
      });
    } catch (error) {
      throw toChainError(error, this.#target, 'RoundCommitted logs');
    }
    return logs
      .map((log) => ({
        roundId: Number(log.args.roundId),
        modelHash: log.args.modelHash as Hex,
        parentHash: log.args.parentHash as Hex,
        updatesRoot: log.args.updatesRoot as Hex,
        rewardsRoot: log.args.rewardsRoot as Hex,
        contributors: Number(log.args.contributors),
        totalSamples: Number(log.args.totalSamples),
        loss: Number(log.args.loss),
        accuracy: Number(log.args.accuracy),
        rewardBudget: log.args.rewardBudget as bigint,
        blockNumber: log.blockNumber,
        committedAt: Number(log.args.committedAt),
        transactionHash: log.transactionHash,
      }))
      .filter((round) => round.roundId >= from && round.roundId <= to)
      .sort((a, b) => a.roundId - b.roundId);
  }

  /** Commits the next round (COORDINATOR_ROLE) and waits for the receipt. */
  async commitRound(record: RoundRecord, options: Signal = {}): Promise<SentTransaction & { round: CommittedRound }> {
    validateRecord(record);
    const sent = await writeContract(
      this.#target,
      'commitRound',
      [{ ...record, roundId: BigInt(record.roundId), totalSamples: BigInt(record.totalSamples), loss: BigInt(record.loss) }],
      options,
    );
    const [event] = parseEventLogs({ abi: roundLedgerAbi, eventName: 'RoundCommitted', logs: sent.receipt.logs });
    return {
      ...sent,
      round: { ...record, blockNumber: sent.blockNumber, committedAt: Number(event.args.committedAt), transactionHash: sent.hash },
    };
  }
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
