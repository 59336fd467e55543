/**
 * The round transition that the coordinator performs and every peer can replay: the one place
 * that turns a parent checkpoint and a set of updates into the next checkpoint and updates root.
 */
export {
  applyRound,
  checkpointAggregation,
  parseRoundAggregation,
  roundAggregationSchema,
  updatesRoot,
  EMPTY_UPDATES_ROOT,
  type ApplyRoundInput,
  type AppliedRound,
  type RoundAggregation,
  type RoundAggregationInput,
} from './round-transition.ts';
export { AuditError, AuditConfigError, AuditInputError } from './errors.ts';
