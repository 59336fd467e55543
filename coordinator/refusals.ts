import type { Hex } from 'viem';
import type { CoordinatorStore, RefusalCount } from './store.ts';

/** Refusals from peers beyond a round's first `maxPeersPerRound` are counted under this peer id. */
export const OTHER_PEERS = '(other peers)';

/** Counts are written at most this long after the first of them was taken. */
const FLUSH_AFTER_MS = 1000;

export interface RefusalLogOptions {
  maxPeersPerRound: number;
  /** Runs `flush` after `delayMs` (the runner's timer, which stops with it and turns a store failure into a halt). */
  schedule: (flush: () => void, delayMs: number) => void;
}

/**
 * Refused gossip, counted per round, peer and reason rather than stored a row per message, and
 * written in batches (within FLUSH_AFTER_MS, and by the runner the moment a round is committed, so
 * a committed round's counts are complete): a flood of junk from fresh peer ids costs neither a
 * database row nor a disk sync per message. A round keeps counts for at most `maxPeersPerRound` peers; the rest
 * are counted together under OTHER_PEERS, so the table grows with rounds, not with messages.
 */
export class RefusalLog {
  private readonly store: Pick<CoordinatorStore, 'addRefusals'>;
  private readonly options: RefusalLogOptions;
  private readonly pending = new Map<string, RefusalCount>();
  /** The peers counted in each recent round (the oldest rounds are forgotten). */
  private readonly peersByRound = new Map<number, Set<string>>();

  constructor(store: Pick<CoordinatorStore, 'addRefusals'>, options: RefusalLogOptions) {
    this.store = store;
    this.options = options;
  }

  /** Counts one refused message; the counts are written within FLUSH_AFTER_MS. */
  record(refusal: { round: number; peerId: string; reason: string; nodeKey: Hex | null }, now: number): void {
    const peerId = this.admitPeer(refusal.round, refusal.peerId);
    const key = JSON.stringify([refusal.round, peerId, refusal.reason]);
    if (this.pending.size === 0) this.options.schedule(() => this.flush(), FLUSH_AFTER_MS);
    const entry = this.pending.get(key);
    if (entry) {
      entry.count += 1;
      entry.lastMs = now;
      entry.nodeKey = refusal.nodeKey ?? entry.nodeKey;
    } else {
      this.pending.set(key, { round: refusal.round, peerId, reason: refusal.reason, nodeKey: refusal.nodeKey, count: 1, firstMs: now, lastMs: now });
    }
  }

  /** Writes the pending counts (one transaction). */
  flush(): void {
    if (this.pending.size === 0) return;
    const counts = [...this.pending.values()];
    this.pending.clear();
    this.store.addRefusals(counts);
  }

  private admitPeer(round: number, peerId: string): string {
    let peers = this.peersByRound.get(round);
    if (peers === undefined) {
      peers = new Set();
      this.peersByRound.set(round, peers);
      // Refusals are for the open round (or the one before, late): older sets are done with.
      for (const known of this.peersByRound.keys()) if (known < round - 1) this.peersByRound.delete(known);
    }
    if (peers.has(peerId)) return peerId;
    if (peers.size >= this.options.maxPeersPerRound) return OTHER_PEERS;
    peers.add(peerId);
    return peerId;
  }
}
