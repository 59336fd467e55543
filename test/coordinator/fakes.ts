// Fake ports for in-process tests of the coordinator's runner and recovery: a chain that keeps
// its rounds in an array and records every call, a gossip that records what was published, a
// clock whose sleeps pass at once. The store is the real one, in memory.
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import type { RoundRecord } from '../../core/chain/index.ts';
import { gradnetDomain } from '../../core/protocol/index.ts';
import { silentLogger } from '../../core/log/index.ts';
import { type LedgerRound, type RoundGossip } from '../../core/round/index.ts';
import { CheckpointStore } from '../../core/tensor/index.ts';
import { systemClock, type Clock } from '../../core/time/index.ts';
import { parseCoordinatorConfig, type CoordinatorConfigInput } from '../../coordinator/config.ts';
import type { CoordinatorEvents } from '../../coordinator/index.ts';
import { createCoordinatorMetrics } from '../../coordinator/metrics.ts';
import { NodeView } from '../../coordinator/node-view.ts';
import type { CoordinatorChain, RunnerPorts } from '../../coordinator/ports.ts';
import { CoordinatorStore } from '../../coordinator/store.ts';
import type { VoidedRounds } from '../../coordinator/voids.ts';
import { hash } from './rows.ts';

export const GENESIS = hash(0xaaaa);
const COORDINATOR_KEY = hash(0xc0ffee);

/** The ledger as an array of rounds; `pending` and `commitFailures` are consumed one per call. */
export class FakeChain implements CoordinatorChain {
  readonly calls: string[] = [];
  readonly rounds: LedgerRound[] = [];
  /** What successive pendingTransactionCount calls answer (then 0). */
  pending: number[] = [];
  /** Errors successive commitRound calls throw (then they succeed). */
  commitFailures: Error[] = [];
  /** RoundsVoided events, oldest first (`voidFrom` adds one). */
  readonly voids: VoidedRounds[] = [];
  /** Rounds up to this one are final, past their challenge window (default: all, as on a chain without challenges). */
  finalThrough = Number.POSITIVE_INFINITY;

  async roundCount(): Promise<number> {
    this.calls.push('roundCount');
    return this.rounds.length;
  }

  async latestModelHash(): Promise<Hex> {
    this.calls.push('latestModelHash');
    return this.rounds.at(-1)?.modelHash ?? GENESIS;
  }

  async getRound(round: number): Promise<LedgerRound> {
    this.calls.push('getRound');
    const found = this.rounds[round - 1];
    if (!found) throw new Error(`round ${round} is not on the fake chain`);
    return found;
  }

  async commitRound(record: RoundRecord): Promise<{ hash: Hex }> {
    this.calls.push('commitRound');
    const failure = this.commitFailures.shift();
    if (failure) throw failure;
    return { hash: this.commitOnChain(record.modelHash).transactionHash };
  }

  async pendingTransactionCount(): Promise<number> {
    this.calls.push('pendingTransactionCount');
    return this.pending.shift() ?? 0;
  }

  async blockNumber(): Promise<bigint> {
    return 0n;
  }

  async registryEventCount(): Promise<number> {
    return 0;
  }

  invalidateRegistry(): void {}

  async ownerOf(): Promise<Hex | undefined> {
    return undefined;
  }

  async lastVoid(): Promise<VoidedRounds | undefined> {
    return this.voids.at(-1);
  }

  async isFinal(round: number): Promise<boolean> {
    return round <= this.finalThrough && round <= this.rounds.length;
  }

  /** A challenge voids round `fromRound` and every later one: the head moves back to `fromRound - 1`. */
  voidFrom(fromRound: number): VoidedRounds {
    const voided = { fromRound, throughRound: this.rounds.length, restoredModelHash: this.rounds[fromRound - 2]?.modelHash ?? GENESIS, txHash: hash(0x9000 + this.voids.length + 1) };
    this.rounds.splice(fromRound - 1);
    this.voids.push(voided);
    return voided;
  }

  /** A round lands on chain (sent by this coordinator before a crash, or by the test). */
  commitOnChain(modelHash: Hex): LedgerRound {
    const round = { modelHash, transactionHash: hash(0x7000 + this.rounds.length + 1) };
    this.rounds.push(round);
    return round;
  }
}

export class FakeGossip implements RoundGossip {
  readonly roundOpens: { round: number; baseModelHash: Hex; deadline: number; reveal: boolean }[] = [];
  readonly announces: { round: number; modelHash: Hex; parentHash: Hex }[] = [];
  /** Rounds whose seen commitments and updates the validator was told to forget. */
  readonly forgotten: number[] = [];
  admitted: { round: number; baseHash: Hex; reveal: boolean } | null = null;

  async publishRoundOpen(open: { round: number; baseModelHash: Hex; deadline: number; reveal: boolean }): Promise<void> {
    this.roundOpens.push(open);
  }

  forgetRound(round: number): void {
    this.forgotten.push(round);
  }

  async publishModelAnnounce(announce: { round: number; modelHash: Hex; parentHash: Hex }): Promise<void> {
    this.announces.push(announce);
  }

  admitUpdatesFor(open: { round: number; baseHash: Hex; reveal: boolean } | null): void {
    this.admitted = open;
  }
}

/** A clock at a fixed time whose sleeps pass at once (moving the time on) and are recorded. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(private time = 1_000_000) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.time += ms;
  }
}

export interface RunnerFixture {
  ports: RunnerPorts;
  store: CoordinatorStore;
  chain: FakeChain;
  gossip: FakeGossip;
  events: EventEmitter<CoordinatorEvents>;
  /** How often the runner asked the slasher to send pending slashes. */
  drains: () => number;
  /** Stops the runner's signal. */
  abort: () => void;
}

/** Runner ports over an in-memory store and fakes, on the system clock (the runner's timers are real). */
export function runnerFixture(config: Partial<CoordinatorConfigInput> = {}, clock: Clock = systemClock): RunnerFixture {
  const store = CoordinatorStore.open(':memory:');
  const chain = new FakeChain();
  const gossip = new FakeGossip();
  const events = new EventEmitter<CoordinatorEvents>();
  const lifetime = new AbortController();
  const parsed = parseCoordinatorConfig({ privateKey: COORDINATOR_KEY, ...config });
  let drains = 0;
  const ports: RunnerPorts = {
    config: parsed,
    store,
    chain,
    gossip,
    checkpoints: new CheckpointStore(join(mkdtempSync(join(tmpdir(), 'gradnet-runner-')), 'checkpoints')),
    nodes: new NodeView({ store, source: { listNodes: async () => [] }, livenessMs: parsed.round.livenessMs, failAfterMissedRounds: parsed.nodes.failAfterMissedRounds }),
    slasher: {
      drain: async () => {
        drains += 1;
        return [];
      },
    },
    model: { spec: { name: 'mlp', hidden: 8 }, validation: { images: new Uint8Array(0), labels: new Uint8Array(0), size: 0 }, domain: gradnetDomain(31337, `0x${'1'.repeat(40)}`) },
    clock,
    logger: silentLogger,
    metrics: createCoordinatorMetrics(),
    events,
    signal: lifetime.signal,
  };
  return { ports, store, chain, gossip, events, drains: () => drains, abort: () => lifetime.abort() };
}
