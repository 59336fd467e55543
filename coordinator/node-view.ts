import type { Hex } from 'viem';
import type { CoordinatorStore, NodeRow } from './store.ts';

/** A registered node as the registry reports it. */
export interface RegisteredNode {
  owner: Hex;
  nodeKey: Hex;
  stake: bigint;
  active: boolean;
}

/** What the node view reads from the chain: the registry's enumeration. */
export interface NodeSource {
  listNodes(options?: { signal?: AbortSignal }): Promise<readonly RegisteredNode[]>;
}

/**
 * `inactive`: not active in the registry (exiting, slashed below the minimum stake); `failed`:
 * active but missed `failAfterMissedRounds` committed rounds in a row; otherwise by when it was
 * last heard from.
 */
export type Liveness = 'online' | 'offline' | 'never-seen' | 'failed' | 'inactive';

export interface NodeStatus extends NodeRow {
  liveness: Liveness;
}

/**
 * The coordinator's picture of the network: who is registered (from the chain, re-read every
 * poll), who was heard from and when (heartbeats, updates), who missed rounds. Kept in the
 * store, so it survives restarts.
 */
export class NodeView {
  private readonly store: CoordinatorStore;
  private readonly source: NodeSource;
  private readonly livenessMs: number;
  private readonly failAfterMissedRounds: number;

  constructor(options: { store: CoordinatorStore; source: NodeSource; livenessMs: number; failAfterMissedRounds: number }) {
    this.store = options.store;
    this.source = options.source;
    this.livenessMs = options.livenessMs;
    this.failAfterMissedRounds = options.failAfterMissedRounds;
  }

  /** Re-reads the registry and records every node; returns how many are active. */
  async sync(nowMs: number, signal?: AbortSignal): Promise<number> {
    const nodes = await this.source.listNodes({ signal });
    this.store.transaction(() => {
      for (const node of nodes) this.store.upsertNode(node, nowMs);
    });
    return nodes.filter((node) => node.active).length;
  }

  heartbeat(nodeKey: Hex, round: number, nowMs: number): void {
    this.store.recordHeartbeat(nodeKey, round, nowMs);
  }

  /**
   * Whether a node may publish: the registry's answer through `live`, or, when the chain cannot
   * be reached, the last registry read, so that an RPC outage does not stop the round collecting.
   */
  async isActive(nodeKey: Hex, live: (nodeKey: Hex) => Promise<boolean>): Promise<boolean> {
    try {
      return await live(nodeKey);
    } catch (error) {
      const known = this.store.getNode(nodeKey);
      if (known === null) throw error;
      return known.active;
    }
  }

  /** The owner a node key is bound to, from the last registry read; null if unknown. */
  ownerOf(nodeKey: Hex): Hex | null {
    return this.store.getNode(nodeKey)?.owner ?? null;
  }

  /** The nodes a round's quorum counts: active in the registry and not failed. */
  quorumMembers(): Hex[] {
    return this.store
      .listNodes()
      .filter((node) => node.active && !this.failed(node))
      .map((node) => node.nodeKey);
  }

  /** Every known node with its liveness at `nowMs`. */
  list(nowMs: number): NodeStatus[] {
    return this.store.listNodes().map((node) => ({ ...node, liveness: this.liveness(node, nowMs) }));
  }

  private liveness(node: NodeRow, nowMs: number): Liveness {
    if (!node.active) return 'inactive';
    if (this.failed(node)) return 'failed';
    if (node.lastSeenMs === null) return 'never-seen';
    return nowMs - node.lastSeenMs <= this.livenessMs ? 'online' : 'offline';
  }

  private failed(node: NodeRow): boolean {
    return node.missedRounds >= this.failAfterMissedRounds;
  }
}
