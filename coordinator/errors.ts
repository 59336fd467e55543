import { GradnetError } from '../core/errors.ts';

/** Root of the errors the coordinator raises on purpose. */
export class CoordinatorError extends GradnetError {}

/** The coordinator configuration does not validate. */
export class CoordinatorConfigError extends CoordinatorError {
  constructor(message: string, value: unknown) {
    super('COORDINATOR_CONFIG', message, { value });
  }
}

/**
 * The SQLite store failed (disk full, file locked, corrupt, read-only). The coordinator stops
 * cleanly on it: every write is a transaction, so nothing half-written remains.
 */
export class StoreError extends CoordinatorError {
  constructor(message: string, options: { cause?: unknown; value?: unknown }) {
    super('COORDINATOR_STORE', message, options);
  }
}

/** The chain and the local database disagree in a way the coordinator must not paper over. */
export class ChainStateError extends CoordinatorError {
  constructor(message: string, value: unknown) {
    super('COORDINATOR_CHAIN_STATE', message, { value });
  }
}

/**
 * A closed round's updates cannot make a record the ledger accepts (say, more samples in sum
 * than it records). Not a CoordinatorError: the round is collected again, nothing is sent.
 */
export class RoundInputError extends GradnetError {
  constructor(message: string, value: unknown) {
    super('COORDINATOR_ROUND_INPUT', message, { value });
  }
}

/** An API request named something malformed (bad address, unknown round). */
export class ApiRequestError extends CoordinatorError {
  readonly status: number;

  constructor(status: number, message: string, value: unknown) {
    super('COORDINATOR_API_REQUEST', message, { value });
    this.status = status;
  }
}
