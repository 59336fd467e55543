import { GradnetError } from '../errors.ts';

/** Root of the errors raised by core/protocol (wire messages, signatures, evidence). */
export class ProtocolError extends GradnetError {
  constructor(code: string, message: string, value: unknown, options?: { cause?: unknown }) {
    super(code, message, { ...options, value });
  }
}

/** A message or field that is not a valid gradnet message: wrong length, out of range, undecodable. */
export class InvalidMessageError extends ProtocolError {
  constructor(message: string, value: unknown, options?: { cause?: unknown }) {
    super('INVALID_MESSAGE', message, value, options);
  }
}

/** Evidence that does not prove what it claims (signatures, node, round or distinctness). */
export class InvalidEvidenceError extends ProtocolError {
  constructor(message: string, value: unknown) {
    super('INVALID_EVIDENCE', message, value);
  }
}
