/**
 * Robust, deterministic aggregation of one round's updates and the DiLoCo outer optimizer: pure
 * functions over Float32Array whose results are byte-identical on every machine and for every
 * arrival order, so any peer can recompute the coordinator's model hash.
 */
export {
  aggregate,
  canonicalOrder,
  type AggregateOptions,
  type AggregationResult,
  type AggregationStats,
  type AggregationUpdate,
  type UpdateStats,
} from './aggregate.ts';
export {
  DEFAULT_RULE,
  aggregationRuleNames,
  aggregationRuleSchema,
  normClipSchema,
  parseAggregationRule,
  type AggregationRule,
  type AggregationRuleInput,
  type AggregationRuleName,
  type NormClip,
} from './config.ts';
export { AggregationConfigError, AggregationError, AggregationInputError } from './errors.ts';
export { OUTER_DEFAULTS, outerStep, type OuterStepInput, type OuterStepResult } from './outer.ts';
export { CONSTANT_SCHEDULE, learningRateScheduleSchema, scheduledRate, type LearningRateSchedule, type LearningRateScheduleInput } from './schedule.ts';
export { clipByNorm, cosineSimilarity, dot, l2Norm } from './vector.ts';
