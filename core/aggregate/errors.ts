import { GradnetError } from '../errors.ts';

/** Root of the errors core/aggregate raises. */
export class AggregationError extends GradnetError {}

/** The updates handed to a rule cannot be aggregated (empty, wrong length, non-finite values, bad digest). */
export class AggregationInputError extends AggregationError {
  constructor(message: string, value: unknown) {
    super('AGGREGATION_INPUT', message, { value });
  }
}

/** A rule configuration that does not validate, or that cannot run on this many updates. */
export class AggregationConfigError extends AggregationError {
  constructor(message: string, value: unknown) {
    super('AGGREGATION_CONFIG', message, { value });
  }
}
