import { readFile } from 'node:fs/promises';
import { read } from 'read';
import { DEFAULT_KEYSTORE_DIR } from '../../core/config/index.ts';
import { createKeystore, findKeystore, importKeystore, listKeystores, resolvePassword, WalletError, type KeyRole, type KeystoreStrength } from '../../core/wallet/index.ts';
import { renderTable, toJson } from '../support/table.ts';

export interface StoreFlags {
  role: KeyRole;
  label?: string;
  keystoreDir?: string;
  passwordFile?: string;
  light?: boolean;
}

/** `gradnet wallet new`: a random key, stored encrypted. */
export async function newKey(flags: StoreFlags): Promise<void> {
  const password = await resolvePassword({ passwordFile: flags.passwordFile, env: process.env, prompt: { message: `Password for the new ${flags.role} key`, confirm: true } });
  const entry = await createKeystore({ dir: keystoreDir(flags), role: flags.role, password, label: flags.label, strength: strength(flags) });
  process.stdout.write(`${entry.address}\n`);
  process.stderr.write(`created ${entry.role} key ${entry.label} in ${entry.file}\n`);
}

/** `gradnet wallet import`: an existing key (from a file or a hidden prompt), stored encrypted. */
export async function importKey(flags: StoreFlags & { keyFile?: string }): Promise<void> {
  const privateKey = await readPrivateKey(flags.keyFile);
  const password = await resolvePassword({ passwordFile: flags.passwordFile, env: process.env, prompt: { message: `Password for the imported ${flags.role} key`, confirm: true } });
  const entry = await importKeystore({ dir: keystoreDir(flags), role: flags.role, password, privateKey, label: flags.label, strength: strength(flags) });
  process.stdout.write(`${entry.address}\n`);
  process.stderr.write(`imported ${entry.role} key ${entry.label} into ${entry.file}\n`);
}

/** `gradnet wallet list`: the keystores in the directory, as a table or JSON. */
export async function listKeys(flags: { keystoreDir?: string; json?: boolean }): Promise<void> {
  const entries = await listKeystores(keystoreDir(flags));
  if (flags.json === true) {
    process.stdout.write(`${toJson(entries)}\n`);
    return;
  }
  if (entries.length === 0) {
    process.stderr.write(`no keystores in ${keystoreDir(flags)}; create one with \`gradnet wallet new\`\n`);
    return;
  }
  process.stdout.write(`${renderTable(entries, [
    { header: 'role', value: (entry) => entry.role },
    { header: 'label', value: (entry) => entry.label },
    { header: 'address', value: (entry) => entry.address },
    { header: 'created', value: (entry) => entry.createdAt },
  ])}\n`);
}

/** `gradnet wallet address [select]`: one keystore's address. */
export async function keyAddress(select: string | undefined, flags: { role: KeyRole; keystoreDir?: string }): Promise<void> {
  const entry = await findKeystore(keystoreDir(flags), flags.role, select);
  process.stdout.write(`${entry.address}\n`);
}

function keystoreDir(flags: { keystoreDir?: string }): string {
  return flags.keystoreDir ?? DEFAULT_KEYSTORE_DIR;
}

function strength(flags: { light?: boolean }): KeystoreStrength {
  return flags.light === true ? 'light' : 'standard';
}

async function readPrivateKey(keyFile: string | undefined): Promise<string> {
  if (keyFile !== undefined) {
    try {
      return (await readFile(keyFile, 'utf8')).trim();
    } catch (error) {
      throw new WalletError('INVALID_PRIVATE_KEY', keyFile, `cannot read key file ${keyFile} (${(error as NodeJS.ErrnoException).code}); check --key-file`);
    }
  }
  if (process.stdin.isTTY !== true) throw new WalletError('INVALID_PRIVATE_KEY', undefined, 'no private key: pass --key-file FILE (or run on a terminal to be asked)');
  return read({ prompt: 'Private key (hidden): ', silent: true, replace: '*', output: process.stderr });
}
