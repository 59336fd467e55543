import { GradnetError } from '../errors.ts';

export type WalletErrorCode =
  | 'KEYSTORE_NOT_FOUND'
  | 'KEYSTORE_AMBIGUOUS'
  | 'KEYSTORE_EXISTS'
  | 'KEYSTORE_INVALID'
  | 'WRONG_PASSWORD'
  | 'NO_PASSWORD'
  | 'INVALID_PRIVATE_KEY'
  | 'DEV_KEY_REFUSED';

/** A keystore, password or key problem; `value` is the offending path, address or selector (never a secret). */
export class WalletError extends GradnetError {
  constructor(code: WalletErrorCode, value: unknown, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, value });
  }
}
