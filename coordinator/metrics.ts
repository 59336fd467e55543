import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The coordinator's Prometheus metrics, on a registry of its own (not prom-client's global
 * one) so that several coordinators, or a coordinator and a peer, can share a process.
 */
export interface CoordinatorMetrics {
  readonly registry: Registry;
  readonly roundDuration: Histogram;
  readonly updatesAccepted: Counter;
  readonly updatesRejected: Counter<'reason'>;
  readonly commitmentsAccepted: Counter;
  readonly commitmentsRejected: Counter<'reason'>;
  readonly bytesReceived: Counter;
  readonly loss: Gauge;
  readonly accuracy: Gauge;
  readonly currentRound: Gauge;
  readonly committedRounds: Counter;
  readonly commitErrors: Counter;
  readonly activeNodes: Gauge;
  readonly slashes: Counter<'outcome'>;
  readonly busySeconds: Counter<'step'>;
}

/** The steps of a round the coordinator works on itself; the rest of the time it collects what the peers send. */
export type CoordinatorBusyStep = 'aggregating' | 'committing';

/** Counts the wall time of `work` as busy in `step`, however it ends. */
export function countBusy<T>(metrics: Pick<CoordinatorMetrics, 'busySeconds'>, step: CoordinatorBusyStep, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  return work().finally(() => metrics.busySeconds.inc({ step }, (performance.now() - started) / 1000));
}

export function createCoordinatorMetrics(registry: Registry = new Registry()): CoordinatorMetrics {
  const registers = [registry];
  return {
    registry,
    roundDuration: new Histogram({
      name: 'gradnet_round_duration_seconds',
      help: 'Time from a round opening to its commit receipt',
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    }),
    updatesAccepted: new Counter({ name: 'gradnet_updates_accepted_total', help: 'Updates accepted into a round', registers }),
    updatesRejected: new Counter({
      name: 'gradnet_updates_rejected_total',
      help: 'Updates rejected, by the reason the validator or the coordinator gave',
      labelNames: ['reason'],
      registers,
    }),
    commitmentsAccepted: new Counter({ name: 'gradnet_commitments_accepted_total', help: 'Commitments to an update accepted into a round', registers }),
    commitmentsRejected: new Counter({
      name: 'gradnet_commitments_rejected_total',
      help: 'Commitments refused, by the reason the validator or the coordinator gave (commit_late: the reveal was open)',
      labelNames: ['reason'],
      registers,
    }),
    bytesReceived: new Counter({ name: 'gradnet_update_bytes_received_total', help: 'Bytes of update payloads received', registers }),
    loss: new Gauge({ name: 'gradnet_model_loss', help: 'Validation loss of the latest aggregated model', registers }),
    accuracy: new Gauge({ name: 'gradnet_model_accuracy', help: 'Validation accuracy of the latest aggregated model', registers }),
    currentRound: new Gauge({ name: 'gradnet_round', help: 'The round the coordinator is working on', registers }),
    committedRounds: new Counter({ name: 'gradnet_rounds_committed_total', help: 'Rounds committed on chain by this process', registers }),
    commitErrors: new Counter({ name: 'gradnet_commit_errors_total', help: 'Failed commit attempts (each is retried)', registers }),
    activeNodes: new Gauge({ name: 'gradnet_nodes_active', help: 'Nodes the registry reports active', registers }),
    slashes: new Counter({ name: 'gradnet_slashes_total', help: 'Slashing transactions for equivocation, by outcome', labelNames: ['outcome'], registers }),
    busySeconds: new Counter({
      name: 'gradnet_coordinator_busy_seconds_total',
      help: 'Wall time spent on a round step of its own: aggregating (with scoring and writing the checkpoint) or committing (until the receipt)',
      labelNames: ['step'],
      registers,
    }),
  };
}
