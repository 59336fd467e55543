export { PeerDaemon, type DaemonOptions } from './daemon.ts';
export { RoundAuditor, type AuditResult, type AuditVerdict, type ObservedUpdate } from './auditor.ts';
export { Trainer, type TrainerOptions, type PreparedUpdate } from './trainer.ts';
export { NodeNotRegisteredError } from './errors.ts';
