import { GradnetError } from '../errors.ts';

/** Root of the errors raised by core/ml. Each carries the offending value. */
export class MlError extends GradnetError {
  constructor(code: string, message: string, value: unknown, options?: { cause?: unknown }) {
    super(code, message, { ...options, value });
  }
}

/** A model spec naming an unknown model or holding bad hyper-parameters. */
export class ModelSpecError extends MlError {
  constructor(message: string, value: unknown) {
    super('MODEL_SPEC', message, value);
  }
}

/** The MNIST files are missing or malformed. */
export class DatasetError extends MlError {
  constructor(message: string, value: unknown, options?: { cause?: unknown }) {
    super('DATASET', message, value, options);
  }
}

/** Bad sharding options (peer count, index, scheme, alpha). */
export class ShardError extends MlError {
  constructor(message: string, value: unknown) {
    super('SHARD', message, value);
  }
}

/** Bad training or evaluation options (steps, batch size, learning rate, empty data). */
export class TrainingConfigError extends MlError {
  constructor(message: string, value: unknown) {
    super('TRAINING_CONFIG', message, value);
  }
}

/** No usable tensor backend, or a requested one failed to start. */
export class BackendError extends MlError {
  constructor(message: string, value: unknown, options?: { cause?: unknown }) {
    super('BACKEND', message, value, options);
  }
}
