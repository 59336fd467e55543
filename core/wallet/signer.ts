import type { Logger } from 'pino';
import { privateKeyToAddress } from 'viem/accounts';
import type { Hex } from 'viem';
import { WalletError } from './errors.ts';
import { findKeystore, parsePrivateKey, unlockKeystore, type KeyRole, type UnlockedKey } from './keystore.ts';
import { resolvePassword } from './password.ts';

/** Hardhat's and anvil's chain id: the only chain where a raw key in the environment is accepted. */
export const DEV_CHAIN_ID = 31337;

/** `GRADNET_OWNER_PRIVATE_KEY` / `GRADNET_NODE_PRIVATE_KEY`. */
export function devKeyVariable(role: KeyRole): string {
  return `GRADNET_${role.toUpperCase()}_PRIVATE_KEY`;
}

export interface LoadKeyOptions {
  role: KeyRole;
  keystoreDir: string;
  /** Address or label of the keystore; the only one of `role` when unset. */
  select?: string;
  passwordFile?: string;
  /** The chain the key will sign for; a raw key from the environment is refused unless it is a dev chain. */
  chainId: number;
  env: Record<string, string | undefined>;
  logger: Logger;
  /** Ask for the password on a terminal when no file or variable gives it. */
  interactive?: boolean;
}

export interface LoadedKey extends UnlockedKey {
  source: 'keystore' | 'environment';
}

/**
 * The key for `role`: a raw key from the environment on a dev chain (with a warning),
 * otherwise the keystore unlocked with the password from file, environment or prompt.
 */
export async function loadKey(options: LoadKeyOptions): Promise<LoadedKey> {
  const variable = devKeyVariable(options.role);
  const raw = options.env[variable];
  if (raw !== undefined && raw !== '') {
    if (options.chainId !== DEV_CHAIN_ID) {
      throw new WalletError('DEV_KEY_REFUSED', options.chainId, `${variable} is only accepted on a dev chain (id ${DEV_CHAIN_ID}), this is chain ${options.chainId}; unset it and use a keystore (gradnet wallet import)`);
    }
    const privateKey = parsePrivateKey(raw);
    const address = privateKeyToAddress(privateKey) as Hex;
    options.logger.warn({ role: options.role, address, variable }, `using the raw ${options.role} key from ${variable}: acceptable on a dev chain only, never for real funds`);
    return { address, privateKey, source: 'environment' };
  }
  const entry = await findKeystore(options.keystoreDir, options.role, options.select);
  const password = await resolvePassword({
    passwordFile: options.passwordFile,
    env: options.env,
    prompt: options.interactive === true ? { message: `Password for ${options.role} keystore ${entry.label} (${entry.address})` } : undefined,
  });
  return { ...(await unlockKeystore(entry, password)), source: 'keystore' };
}
