import { GradnetError } from '../errors.ts';

/** Raised when a round cannot be replayed as given. */
export class AuditError extends GradnetError {
  constructor(code: string, message: string, value: unknown) {
    super(code, message, { value });
  }
}

export class AuditConfigError extends AuditError {
  constructor(message: string, value: unknown) {
    super('AUDIT_CONFIG', message, value);
  }
}

export class AuditInputError extends AuditError {
  constructor(message: string, value: unknown) {
    super('AUDIT_INPUT', message, value);
  }
}
