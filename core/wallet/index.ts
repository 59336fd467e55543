export {
  createKeystore,
  importKeystore,
  listKeystores,
  findKeystore,
  unlockKeystore,
  parsePrivateKey,
  type KeyRole,
  type KeystoreEntry,
  type KeystoreStrength,
  type UnlockedKey,
} from './keystore.ts';
export { resolvePassword, type PasswordSources } from './password.ts';
export { loadKey, devKeyVariable, DEV_CHAIN_ID, type LoadKeyOptions, type LoadedKey } from './signer.ts';
export { WalletError, type WalletErrorCode } from './errors.ts';
