/**
 * The round transition that the coordinator performs and every peer can replay: the one place
 * that turns a parent checkpoint and a set of updates into the next checkpoint and updates root,
 * and the one place that turns the round's scores into per-owner rewards and the rewards root.
 */
export {
  applyRound,
  checkpointAggregation,
  checkpointTraining,
  checkpointUpdates,
  parseRoundAggregation,
  roundAggregationSchema,
  updatesRoot,
  EMPTY_UPDATES_ROOT,
  SCHEDULE_DEFAULTS,
  type ApplyRoundInput,
  type AppliedRound,
  type RoundAggregation,
  type RoundAggregationInput,
  type RoundTraining,
} from './round-transition.ts';
export {
  settleRound,
  scoringLoss,
  SCORING_EVALUATORS,
  checkpointScoring,
  scoringMeta,
  validationFingerprint,
  type RoundScoring,
  type SettleUpdate,
  type OwnerReward,
  type SettledRound,
} from './round-rewards.ts';
export { AuditError, AuditConfigError, AuditInputError } from './errors.ts';
