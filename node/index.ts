// node/: the gradnet peer daemon, a runner of the core/peer state machine over its ports, the
// factory that builds those ports from the daemon's settings, and the pieces behind them.
export { PeerDaemon, type PeerDaemonOptions } from './daemon.ts';
export { createPeerDaemon, peerConfigOf, type PeerDaemonComponents } from './create.ts';
export { RoundAuditor, LedgerAuditor, type AuditResult, type AuditVerdict, type ObservedUpdate } from './auditor.ts';
export { Trainer, type TrainerOptions, type PreparedUpdate } from './trainer.ts';
export { DaemonAlreadyRunningError, NodeNotRegisteredError, PeerStateError } from './errors.ts';
export { FilePeerStore } from './peer-store.ts';
