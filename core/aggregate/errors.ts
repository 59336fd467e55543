import { GradnetError } from '../errors.ts';

/** Root of the errors core/aggregate raises. */
export class AggregationError extends GradnetError {}

/** The updates handed to a rule cannot be aggregated (empty, wrong length, non-finite values, bad digest). */
export class AggregationInputError extends AggregationError {
  readonly value: unknown;

  constructor(message: string, value: unknown) {
    super('AGGREGATION_INPUT', message);
    this.value = value;
  }
}

/** A rule configuration that does not validate, or that cannot run on this many updates. */
export class AggregationConfigError extends AggregationError {
  readonly value: unknown;

  constructor(message: string, value: unknown) {
    super('AGGREGATION_CONFIG', message);
    this.value = value;
  }
}
