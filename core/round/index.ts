/**
 * The coordinator's round lifecycle as a pure state machine, `step(state, event) -> { state,
 * effects }`: collect updates until quorum and deadline (or every live node has reported),
 * aggregate, commit once with retries, announce, open the next round.
 */
export { commitRetryDelay, parseRoundConfig, roundConfigSchema, type RoundConfig, type RoundConfigInput } from './config.ts';
export { RoundConfigError } from './errors.ts';
export { initialRoundState, liveNodes, nextWakeAt, step } from './step.ts';
export type {
  AcceptedUpdate,
  AggregatingState,
  CollectingState,
  CommittingState,
  HaltedState,
  IdleState,
  IgnoredUpdateReason,
  RoundEffect,
  RoundEvent,
  RoundPhase,
  RoundState,
  StepResult,
} from './types.ts';
