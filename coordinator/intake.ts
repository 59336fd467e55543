import type { CommitmentEvent, RefusedEvent, UpdateEvent } from '../core/p2p/index.ts';
import { decodeUpdate, encodeUpdate, equivocationEvidence, updateDigest, type EquivocationEvidence, type GradnetDomain, type Heartbeat, type SignedVerdict } from '../core/protocol/index.ts';
import type { StructuredLogger } from '../core/log/index.ts';
import { step, type RoundState, type StepResult } from '../core/round/index.ts';
import { fromFixedPoint } from '../core/units/index.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import type { NodeView } from './node-view.ts';
import type { RefusalLog } from './refusals.ts';
import type { CoordinatorStore } from './store.ts';

/** What taking in gossip needs: the store that keeps every verdict, the metrics that count them. */
export interface IntakePorts {
  store: CoordinatorStore;
  nodes: Pick<NodeView, 'heartbeat'>;
  refusals: Pick<RefusalLog, 'record'>;
  metrics: CoordinatorMetrics;
  domain: GradnetDomain;
  logger: StructuredLogger;
}

/** What a message taken in leads to. */
export interface Intake {
  /** The state machine's step to apply; null when the message must not change the round. */
  step: StepResult | null;
  /** New equivocation evidence is in the store: slash. */
  evidence: boolean;
}

/**
 * An update the validator accepted. The state machine is asked first (it is pure), the verdict
 * is stored, and only then may the new state take effect: an accepted update is on disk before
 * anything acts on it.
 */
export function takeUpdate(ports: IntakePorts, state: RoundState, event: UpdateEvent, now: number): Intake {
  const { store, metrics } = ports;
  const { update, digest } = event;
  const result = step(state, { type: 'updateAccepted', now, round: update.round, nodeKey: update.nodeKey, digest });
  const base = {
    round: update.round,
    nodeKey: update.nodeKey,
    digest,
    baseHash: update.baseModelHash,
    samples: update.samples,
    trainLoss: fromFixedPoint(update.trainLoss),
    codec: update.codec,
    signature: update.signature,
    bytes: update.payloadSize,
    receivedMs: now,
    peerId: event.peer,
  };
  metrics.bytesReceived.inc(update.payloadSize);
  for (const effect of result.effects) {
    if (effect.type === 'equivocation') {
      const evidence = recordAgainstStored(ports, event, now);
      store.insertUpdate({ ...base, verdict: 'rejected', reason: 'equivocation', message: null });
      metrics.updatesRejected.inc({ reason: 'equivocation' });
      return { step: result, evidence };
    }
    if (effect.type === 'updateIgnored') {
      if (effect.reason !== 'duplicate') {
        store.insertUpdate({ ...base, verdict: 'rejected', reason: effect.reason, message: null });
        metrics.updatesRejected.inc({ reason: effect.reason });
      }
      return { step: result, evidence: false };
    }
  }
  if (!store.insertUpdate({ ...base, verdict: 'accepted', reason: null, message: encodeUpdate(update, { inline: true }) })) {
    // The store already holds an update of this node for this round that the state machine was
    // not given (the round was re-collected after a failed aggregation): the first stays.
    return { step: null, evidence: recordAgainstStored(ports, event, now) };
  }
  metrics.updatesAccepted.inc();
  return { step: result, evidence: false };
}

/**
 * A commitment the validator accepted: the state machine decides (refused once the reveal is
 * open, or when the node committed to another update first), the commitment is journalled, and
 * only then does the new state take effect. Refused ones are counted with the round's refusals.
 */
export function takeCommitment(ports: IntakePorts, state: RoundState, event: CommitmentEvent, now: number): Intake {
  const { commitment, peer } = event;
  const result = step(state, { type: 'commitmentAccepted', now, round: commitment.round, nodeKey: commitment.nodeKey, digest: commitment.updateDigest });
  const ignored = result.effects.find((effect) => effect.type === 'commitmentIgnored');
  if (ignored !== undefined) {
    if (ignored.reason !== 'duplicate') {
      ports.metrics.commitmentsRejected.inc({ reason: ignored.reason });
      ports.refusals.record({ round: commitment.round, peerId: peer, reason: ignored.reason, nodeKey: commitment.nodeKey }, now);
    }
    return { step: result, evidence: false };
  }
  const journalled = ports.store.insertCommitment({
    round: commitment.round,
    nodeKey: commitment.nodeKey,
    updateDigest: commitment.updateDigest,
    signature: commitment.signature,
    receivedMs: now,
    peerId: peer,
  });
  if (!journalled) {
    // The journal holds a commitment of this node from before (a round opened again after a
    // void): the same one counts again, another one never does (the first stays).
    const kept = ports.store.acceptedCommitments(commitment.round).find((earlier) => earlier.nodeKey === commitment.nodeKey);
    if (kept?.digest.toLowerCase() !== commitment.updateDigest.toLowerCase()) return { step: null, evidence: false };
  }
  ports.metrics.commitmentsAccepted.inc();
  return { step: result, evidence: false };
}

/** A heartbeat: the node is live (stored for /nodes, and told to the state machine). */
export function takeHeartbeat(ports: IntakePorts, state: RoundState, heartbeat: Heartbeat, now: number): Intake {
  ports.nodes.heartbeat(heartbeat.nodeKey, heartbeat.round, now);
  return { step: step(state, { type: 'heartbeat', now, nodeKey: heartbeat.nodeKey }), evidence: false };
}

/**
 * An audit verdict the validator accepted (signed by an active node key, naming exactly what the
 * ledger holds for the round): kept for /rounds/:round and the explorer, the first of each node
 * key per committed version of a round. It never changes the round.
 */
export function takeVerdict(ports: IntakePorts, verdict: SignedVerdict & { peer: string }, now: number): Intake {
  const kept = ports.store.recordVerdict({
    round: verdict.round,
    modelHash: verdict.modelHash,
    rewardsRoot: verdict.rewardsRoot,
    nodeKey: verdict.nodeKey,
    verdict: verdict.verdict,
    signature: verdict.signature,
    receivedMs: now,
    peerId: verdict.peer,
  });
  if (kept) ports.logger.info({ round: verdict.round, nodeKey: verdict.nodeKey, verdict: verdict.verdict }, `audit verdict on round ${verdict.round}: ${verdict.verdict} from ${verdict.nodeKey}`);
  return { step: null, evidence: false };
}

/**
 * An update the validator refused: counted in the metrics, and when rejected (not merely
 * ignored) in the round's refusal counts per peer and reason; equivocation evidence is kept.
 */
export function takeRefusal(ports: IntakePorts, state: RoundState, event: RefusedEvent, now: number): Intake {
  if (event.kind !== 'update' && event.kind !== 'commitment') return { step: null, evidence: false };
  (event.kind === 'update' ? ports.metrics.updatesRejected : ports.metrics.commitmentsRejected).inc({ reason: event.reason });
  const evidence = event.evidence ? recordEquivocation(ports, event.evidence, now) : false;
  if (event.outcome === 'reject') {
    ports.refusals.record({ round: state.phase === 'idle' ? 0 : state.round, peerId: event.peer, reason: event.reason, nodeKey: event.evidence?.nodeKey ?? null }, now);
    ports.logger.debug({ reason: event.reason, detail: event.detail, peer: event.peer }, 'update refused');
  }
  return { step: null, evidence };
}

/** Evidence from the update of this node the store accepted first for the round, when `event`'s differs from it. */
function recordAgainstStored(ports: IntakePorts, event: UpdateEvent, now: number): boolean {
  const { update, digest } = event;
  const first = ports.store.acceptedUpdateOf(update.round, update.nodeKey);
  if (!first || first.digest.toLowerCase() === digest.toLowerCase()) return false;
  return recordEquivocation(ports, equivocationEvidence(decodeUpdate(first.message), update, ports.domain), now);
}

/** Stores slashing evidence (pending); false when the store already had it. */
function recordEquivocation(ports: IntakePorts, evidence: EquivocationEvidence, now: number): boolean {
  const first = decodeUpdate(evidence.first);
  const second = decodeUpdate(evidence.second);
  const added = ports.store.recordEquivocation({
    evidenceHash: evidence.evidenceHash,
    nodeKey: evidence.nodeKey,
    round: evidence.round,
    firstDigest: updateDigest(first, ports.domain),
    secondDigest: updateDigest(second, ports.domain),
    first: evidence.first,
    second: evidence.second,
    detectedMs: now,
  });
  if (added) ports.logger.warn({ nodeKey: evidence.nodeKey, round: evidence.round, evidenceHash: evidence.evidenceHash }, 'equivocation: slashing the node');
  return added;
}
