import { GradnetError } from '../core/errors.ts';

/** Root of the errors the explorer raises on purpose. */
export class ExplorerError extends GradnetError {}

/** The coordinator's API did not answer, or answered with an error. */
export class CoordinatorApiError extends ExplorerError {
  readonly status: number | null;

  constructor(url: string, reason: string, options: { status?: number; cause?: unknown } = {}) {
    super('EXPLORER_COORDINATOR', `${url}: ${reason}; check --coordinator-url and that the coordinator is running`, { cause: options.cause, value: url });
    this.status = options.status ?? null;
  }
}

/** A request to the explorer named something that does not exist (an unknown round, a malformed address). */
export class ExplorerRequestError extends ExplorerError {
  readonly status: number;

  constructor(status: number, message: string, value: unknown) {
    super('EXPLORER_REQUEST', message, { value });
    this.status = status;
  }
}
