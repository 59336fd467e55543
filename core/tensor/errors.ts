import { GradnetError } from '../errors.ts';

/** Root of the errors raised by core/tensor (parameter vectors, hashing, checkpoints, codecs). */
export class TensorError extends GradnetError {}

/** A parameter vector or layout that cannot describe a model: wrong length, NaN/Inf, bad shapes. */
export class InvalidParametersError extends TensorError {
  constructor(message: string, value: unknown) {
    super('INVALID_PARAMETERS', message, { value });
  }
}

/** Checkpoint bytes that cannot be decoded: truncated, corrupted, or not a gradnet checkpoint. */
export class CheckpointCorruptError extends TensorError {
  constructor(message: string, value: unknown) {
    super('CHECKPOINT_CORRUPT', message, { value });
  }
}

/** A checkpoint whose weights, momentum and meta hash to something other than what the caller asked for. */
export class CheckpointHashMismatchError extends TensorError {
  readonly expected: string;
  readonly actual: string;

  constructor(expected: string, actual: string) {
    super(
      'CHECKPOINT_HASH_MISMATCH',
      `checkpoint hash mismatch: expected ${expected} but its weights, momentum and meta hash to ${actual}; ` +
        'the file is corrupted or is another model — fetch it again from a peer that announced the expected hash',
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** A checkpoint that the store does not hold. */
export class CheckpointNotFoundError extends TensorError {
  readonly hash: string;

  constructor(hash: string, dir: string) {
    super('CHECKPOINT_NOT_FOUND', `no checkpoint ${hash} in ${dir}; fetch it from a peer or the coordinator first`);
    this.hash = hash;
  }
}
