import { errorMessage } from '../core/errors.ts';
import type { StructuredLogger } from '../core/log/index.ts';
import type { Clock } from '../core/time/index.ts';
import { StoreError } from './errors.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import type { NodeView } from './node-view.ts';

/** How often NodeRegistry events are read. */
const REGISTRY_EVENTS_MS = 1000;

/** What the watch reads from the chain besides the registry enumeration the node view syncs. */
export interface RegistryEventSource {
  blockNumber(): Promise<bigint>;
  /** How many NodeRegistry events blocks `fromBlock`..`toBlock` hold. */
  registryEventCount(fromBlock: bigint, toBlock: bigint): Promise<number>;
  /** Forgets cached registry reads, so the next sync sees the chain as it is now. */
  invalidateRegistry(): void;
}

export interface RegistryWatchPorts {
  nodes: Pick<NodeView, 'sync'>;
  source: RegistryEventSource;
  metrics: Pick<CoordinatorMetrics, 'activeNodes'>;
  logger: StructuredLogger;
  clock: Clock;
  signal: AbortSignal;
  pollMs: number;
  /** Keeps the promise until it settles; a rejection (a store failure) is fatal. */
  track: (work: Promise<unknown>) => void;
  everyPoll: () => void;
  /** After each successful re-read: the node view changed, maybe the active set with it. */
  synced: () => void;
}

/**
 * Keeps the node view current: re-reads the registry every `pollMs`, and at once when a
 * NodeRegistry event (registration, exit, slash, key rotation) appears, which it checks for
 * every second. `everyPoll` runs with each re-read (the coordinator re-announces its open round,
 * so that peers that joined after it opened learn about it).
 */
export class RegistryWatch {
  private readonly ports: RegistryWatchPorts;
  private pollTimer: NodeJS.Timeout | undefined;
  private eventTimer: NodeJS.Timeout | undefined;
  /** The last block whose events were read; null while a read is in flight. */
  private checkedBlock: bigint | null = null;

  constructor(ports: RegistryWatchPorts) {
    this.ports = ports;
  }

  async start(): Promise<void> {
    this.pollTimer = setInterval(() => this.poll(), this.ports.pollMs);
    this.checkedBlock = await this.ports.source.blockNumber();
    this.eventTimer = setInterval(() => this.checkEvents(), REGISTRY_EVENTS_MS);
  }

  stop(): void {
    clearInterval(this.pollTimer);
    clearInterval(this.eventTimer);
  }

  /** The registry changed (say, a node was slashed): re-read it now. */
  refresh(): void {
    this.ports.source.invalidateRegistry();
    this.poll();
  }

  private poll(): void {
    const { nodes, metrics, logger, clock, signal } = this.ports;
    this.ports.track(
      nodes
        .sync(clock.now(), signal)
        .then((active) => {
          metrics.activeNodes.set(active);
          this.ports.synced();
        })
        .catch((error: unknown) => {
          if (error instanceof StoreError) throw error;
          logger.warn({ error: errorMessage(error) }, 'registry poll failed; keeping the last node list');
        }),
    );
    this.ports.everyPoll();
  }

  private checkEvents(): void {
    const from = this.checkedBlock;
    if (from === null) return;
    this.checkedBlock = null;
    const { source, logger } = this.ports;
    this.ports.track(
      (async () => {
        let last = from;
        try {
          const head = await source.blockNumber();
          if (head > from) {
            const events = await source.registryEventCount(from + 1n, head);
            last = head;
            if (events > 0) this.refresh();
          }
        } catch (error) {
          logger.debug({ error: errorMessage(error) }, 'reading registry events failed; the poll continues');
        } finally {
          this.checkedBlock = last;
        }
      })(),
    );
  }
}
