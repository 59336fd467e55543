// node/: the gradnet peer daemon, a runner of the core/peer state machine over its ports, the
// factory that builds those ports from the daemon's settings, and the pieces behind them.
export { PeerDaemon, type PeerDaemonOptions } from './daemon.ts';
export { createPeerDaemon, peerConfigOf, type PeerDaemonComponents } from './create.ts';
export { LedgerAuditor, type AuditResult, type AuditVerdict, type AuditChain, type AuditModels, type AuditScorer, type LedgerAuditorOptions } from './auditor.ts';
export { UpdateArchive, type ArchivedUpdate, type UpdateExchange } from './update-archive.ts';
export { Challenger, type ChallengeChain, type ChallengeOutcome, type ChallengerOptions } from './challenger.ts';
export { VerdictCollector, reachesThreshold, verdictSubject } from './verdicts.ts';
export { Trainer, type TrainerOptions, type PreparedUpdate } from './trainer.ts';
export { PEER_PHASES, PhaseClock, type PeerPhase, type PhaseSnapshot } from './phase-clock.ts';
export { DaemonAlreadyRunningError, NodeNotRegisteredError, PeerStateError } from './errors.ts';
export { FilePeerStore } from './peer-store.ts';
export { NodeStatusWatch, nodeStanding, stopOnLostStanding, type LostStanding, type StandingSource } from './node-status-watch.ts';
