/**
 * The peer's round lifecycle as a pure state machine, `step(state, event) -> { state, effects }`:
 * follow the ledger, audit committed rounds, hold the round's verified base model, train, sign
 * once per round, gossip and re-send, beat, back off after failures. The ports are what the
 * daemon (node/) runs it over, so its recovery paths test in process with fakes.
 */
export { initialPeerState, nextWakeAt, step } from './step.ts';
export type { PeerConfig, PeerEffect, PeerEvent, PeerState, PeerStepResult, PeerWork, PeerWorkKind, SignedRecord } from './types.ts';
export type {
  Abortable,
  AuditJudgement,
  GossipEvent,
  HeardUpdate,
  ModelSource,
  PeerAuditor,
  PeerChain,
  PeerGossip,
  PeerHeartbeat,
  PeerPorts,
  PeerRecord,
  PeerStore,
  PeerSigner,
  PeerTrainer,
  SignedCommitmentBytes,
  SignedUpdateBytes,
  TrainedUpdate,
  UpdateWindow,
} from './ports.ts';
