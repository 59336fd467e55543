/**
 * The coordinator's round lifecycle as a pure state machine, `step(state, event) -> { state,
 * effects }`: collect commitments until quorum (which follows the live active set) and deadline
 * (or every live node has committed, or the longest wait with at least `minQuorum`), open the
 * reveal and take the committed updates, aggregate, commit once with retries, announce, open the
 * next round. Also the ports a runner of it is given (journal, ledger, gossip, checkpoints, logger; the clock is core/time's).
 */
export { commitRetryDelay, parseRoundConfig, quorumFloor, roundConfigSchema, type RoundConfig, type RoundConfigInput } from './config.ts';
export { RoundConfigError } from './errors.ts';
export {
  type JournalRound,
  type LedgerRound,
  type RoundCheckpoints,
  type RoundGossip,
  type RoundJournal,
  type RoundLedger,
  type RoundRowStatus,
  type Startable,
} from './ports.ts';
export { initialRoundState, liveNodes, nextWakeAt, quorumNeeded, step } from './step.ts';
export type {
  AcceptedCommitment,
  AcceptedUpdate,
  AggregatingState,
  CloseReason,
  CollectingState,
  CommittingState,
  HaltedState,
  IdleState,
  IgnoredCommitmentReason,
  IgnoredUpdateReason,
  RoundEffect,
  RoundEvent,
  RoundPhase,
  RoundState,
  RevealReason,
  StepResult,
} from './types.ts';
