import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet, decryptKeystoreJson, encryptKeystoreJson, getAddress, isKeystoreJson } from 'ethers';
import type { Hex } from 'viem';
import { writeFileAtomic } from '../files/index.ts';
import { WalletError } from './errors.ts';

/**
 * `owner` is the cold key: it stakes, owns the node registration and receives rewards.
 * `node` is the hot key the daemon keeps unlocked: it signs updates and is the libp2p identity.
 */
export type KeyRole = 'owner' | 'node';

/**
 * `standard` is ethers' default scrypt cost (N = 2^17, about a second per unlock).
 * `light` (N = 2^12) is for throw-away dev keystores such as the demo's.
 */
export type KeystoreStrength = 'standard' | 'light';

export interface KeystoreEntry {
  address: Hex;
  role: KeyRole;
  label: string;
  file: string;
  createdAt: string;
}

export interface UnlockedKey {
  address: Hex;
  privateKey: Hex;
}

interface GradnetMetadata {
  role: KeyRole;
  label: string;
  createdAt: string;
}

const METADATA_FIELD = 'x-gradnet';
const LIGHT_SCRYPT_N = 1 << 12;

/** Creates a fresh random key of `role` and stores it encrypted under `dir`. */
export async function createKeystore(options: { dir: string; role: KeyRole; password: string; label?: string; strength?: KeystoreStrength }): Promise<KeystoreEntry> {
  const wallet = Wallet.createRandom();
  return storeKey({ ...options, privateKey: wallet.privateKey as Hex });
}

/** Encrypts an existing private key (0x-prefixed 32-byte hex) into a keystore under `dir`. */
export async function importKeystore(options: { dir: string; role: KeyRole; password: string; privateKey: string; label?: string; strength?: KeystoreStrength }): Promise<KeystoreEntry> {
  return storeKey({ ...options, privateKey: parsePrivateKey(options.privateKey) });
}

async function storeKey(options: { dir: string; role: KeyRole; password: string; privateKey: Hex; label?: string; strength?: KeystoreStrength }): Promise<KeystoreEntry> {
  const wallet = new Wallet(options.privateKey);
  const address = wallet.address as Hex;
  const file = join(options.dir, `${options.role}-${address.toLowerCase()}.json`);
  if (existsSync(file)) throw new WalletError('KEYSTORE_EXISTS', file, `a ${options.role} keystore for ${address} already exists at ${file}; use it, or remove it first`);
  const scrypt = options.strength === 'light' ? { N: LIGHT_SCRYPT_N } : undefined;
  const json = await encryptKeystoreJson({ address, privateKey: options.privateKey }, options.password, { scrypt });
  const metadata: GradnetMetadata = { role: options.role, label: options.label ?? `${options.role}-${address.slice(2, 8).toLowerCase()}`, createdAt: new Date().toISOString() };
  const content = { ...JSON.parse(json), [METADATA_FIELD]: metadata };
  try {
    await writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, dirMode: 0o700, exclusive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new WalletError('KEYSTORE_EXISTS', file, `a ${options.role} keystore for ${address} already exists at ${file}`);
    throw error;
  }
  return { address, role: options.role, label: metadata.label, file, createdAt: metadata.createdAt };
}

/** Every gradnet keystore in `dir` (none when the directory does not exist), oldest first. */
export async function listKeystores(dir: string): Promise<KeystoreEntry[]> {
  if (!existsSync(dir)) return [];
  const entries: KeystoreEntry[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (!/^(owner|node)-0x[0-9a-f]{40}\.json$/.test(name)) continue;
    entries.push(await readEntry(join(dir, name)));
  }
  return entries.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

async function readEntry(file: string): Promise<KeystoreEntry> {
  const json = await readFile(file, 'utf8');
  if (!isKeystoreJson(json)) throw new WalletError('KEYSTORE_INVALID', file, `${file} is not a Web3 Secret Storage keystore; move it out of the keystore directory`);
  const content = JSON.parse(json) as { address: string; [METADATA_FIELD]?: GradnetMetadata };
  const metadata = content[METADATA_FIELD];
  // ethers checksums (viem's root import would cost the CLI 0.15 s) but types the result as string.
  const address = getAddress(content.address.startsWith('0x') ? content.address : `0x${content.address}`) as Hex;
  const role = metadata?.role ?? (file.includes('/owner-') ? 'owner' : 'node');
  return { address, role, label: metadata?.label ?? address, file, createdAt: metadata?.createdAt ?? '' };
}

/**
 * Picks the keystore of `role` named by `selector` (address, label or file path). Without
 * a selector there must be exactly one keystore of that role.
 */
export async function findKeystore(dir: string, role: KeyRole, selector?: string): Promise<KeystoreEntry> {
  if (selector !== undefined && selector.endsWith('.json') && existsSync(selector)) return readEntry(selector);
  const all = (await listKeystores(dir)).filter((entry) => entry.role === role);
  const matches = selector === undefined ? all : all.filter((entry) => entry.address.toLowerCase() === selector.toLowerCase() || entry.label === selector);
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    const what = selector === undefined ? `no ${role} keystore` : `no ${role} keystore matching "${selector}"`;
    throw new WalletError('KEYSTORE_NOT_FOUND', selector ?? dir, `${what} in ${dir}; create one with \`gradnet wallet new --role ${role}\` or pass --keystore-dir`);
  }
  throw new WalletError('KEYSTORE_AMBIGUOUS', dir, `${matches.length} ${role} keystores in ${dir} (${matches.map((entry) => entry.label).join(', ')}); choose one by address or label`);
}

/** Decrypts a keystore; a wrong password is a WalletError, not ethers' argument error. */
export async function unlockKeystore(entry: KeystoreEntry, password: string): Promise<UnlockedKey> {
  const json = await readFile(entry.file, 'utf8');
  try {
    const account = await decryptKeystoreJson(json, password);
    return { address: account.address as Hex, privateKey: account.privateKey as Hex };
  } catch (error) {
    if (/incorrect password/.test((error as Error).message)) {
      throw new WalletError('WRONG_PASSWORD', entry.file, `wrong password for ${entry.role} keystore ${entry.address} (${entry.file}); check --password-file or GRADNET_PASSWORD`);
    }
    throw new WalletError('KEYSTORE_INVALID', entry.file, `cannot decrypt ${entry.file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Checks and normalises a raw private key; the message never repeats the key. */
export function parsePrivateKey(value: string): Hex {
  const hex = value.trim().startsWith('0x') ? value.trim() : `0x${value.trim()}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new WalletError('INVALID_PRIVATE_KEY', '[redacted]', 'a private key must be 32 bytes of hex (64 hex digits, optionally 0x-prefixed)');
  try {
    return new Wallet(hex).privateKey as Hex;
  } catch (error) {
    throw new WalletError('INVALID_PRIVATE_KEY', '[redacted]', 'the private key is out of range for secp256k1', { cause: error });
  }
}
