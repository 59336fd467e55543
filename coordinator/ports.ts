import type { EventEmitter } from 'node:events';
import type { Hex } from 'viem';
import type { RoundRecord } from '../core/chain/index.ts';
import type { Dataset, ModelSpec } from '../core/ml/index.ts';
import type { GradnetDomain } from '../core/protocol/index.ts';
import type { StructuredLogger } from '../core/log/index.ts';
import type { RoundGossip, RoundLedger } from '../core/round/index.ts';
import type { CheckpointStore } from '../core/tensor/index.ts';
import type { Clock } from '../core/time/index.ts';
import type { CoordinatorConfig } from './config.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import type { NodeView } from './node-view.ts';
import type { RegistryEventSource } from './registry-watch.ts';
import type { Slasher } from './slashing.ts';
import type { CoordinatorStore } from './store.ts';
import type { VoidChain } from './voids.ts';

// What the round runner is given: core/round's ports as the coordinator fills them in.

export interface CoordinatorEvents {
  roundOpened: [{ round: number; baseHash: Hex; deadline: number; reopened: boolean }];
  /** The round's reveal opened: committed nodes send their updates by `deadline`. */
  revealOpened: [{ round: number; deadline: number }];
  roundAggregated: [{ round: number; modelHash: Hex; loss: number; accuracy: number; contributors: number }];
  roundCommitted: [{ round: number; modelHash: Hex; txHash: Hex | null }];
  slashed: [{ nodeKey: Hex; evidenceHash: Hex; txHash?: Hex; error?: string }];
  halted: [{ reason: string }];
}

/** The chain as the runner uses it: the ledger and its account, its last void and finality, registry events, node owners. */
export interface CoordinatorChain extends RoundLedger<RoundRecord>, RegistryEventSource, Pick<VoidChain, 'lastVoid' | 'isFinal'> {
  ownerOf(nodeKey: Hex): Promise<Hex | undefined>;
}

/** Everything the runner works with, handed in at once by the start-up wiring. */
export interface RunnerPorts {
  config: CoordinatorConfig;
  store: CoordinatorStore;
  chain: CoordinatorChain;
  gossip: RoundGossip;
  checkpoints: CheckpointStore;
  /** The registry as last read, kept in the store. */
  nodes: NodeView;
  slasher: Pick<Slasher, 'drain'>;
  model: { spec: ModelSpec; validation: Dataset; domain: GradnetDomain };
  clock: Clock;
  logger: StructuredLogger;
  metrics: CoordinatorMetrics;
  events: Pick<EventEmitter<CoordinatorEvents>, 'emit'>;
  /** Aborted when the coordinator stops; cancels whatever effect is in flight. */
  signal: AbortSignal;
}
