import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { read } from 'read';
import { DEFAULT_KEYSTORE_DIR } from '../../core/config/index.ts';
import {
  createKeystore,
  findKeystore,
  importKeystore,
  listKeystores,
  resolvePassword,
  WalletError,
  type KeyRole,
  type KeystoreStrength,
} from '../../core/wallet/index.ts';
import { action } from '../support/action.ts';
import { renderTable, toJson } from '../support/table.ts';

interface StoreOptions {
  role: KeyRole;
  label?: string;
  keystoreDir: string;
  passwordFile?: string;
  light?: boolean;
}

const roleOption = () =>
  new Option('--role <role>', 'owner (cold: stakes, receives rewards) or node (hot: signs updates, libp2p identity)').choices(['owner', 'node']).default('node');
const dirOption = () => new Option('--keystore-dir <dir>', 'keystore directory').env('GRADNET_KEYSTORE_DIR').default(DEFAULT_KEYSTORE_DIR);
const passwordFileOption = () => new Option('--password-file <file>', 'read the password from the first line of this file (else GRADNET_PASSWORD, else a prompt)');
const lightOption = () => new Option('--light', 'cheap scrypt parameters, for throw-away dev keys only');

/** `gradnet wallet new|import|list|address`: encrypted Web3 Secret Storage keystores. */
export function walletCommand(): Command {
  const wallet = new Command('wallet').description('create, import and list encrypted keystores (owner and node keys)');

  wallet
    .command('new')
    .description('create a random key and store it encrypted')
    .addOption(roleOption())
    .option('--label <label>', 'a name to select the key by')
    .addOption(dirOption())
    .addOption(passwordFileOption())
    .addOption(lightOption())
    .action(action(async (options: StoreOptions) => {
      const password = await resolvePassword({ passwordFile: options.passwordFile, env: process.env, prompt: { message: `Password for the new ${options.role} key`, confirm: true } });
      const entry = await createKeystore({ dir: options.keystoreDir, role: options.role, password, label: options.label, strength: strength(options) });
      process.stdout.write(`${entry.address}\n`);
      process.stderr.write(`created ${entry.role} key ${entry.label} in ${entry.file}\n`);
    }));

  wallet
    .command('import')
    .description('encrypt an existing private key into a keystore (read from --key-file or a hidden prompt, never from the command line)')
    .addOption(roleOption())
    .option('--key-file <file>', 'file holding the 0x-prefixed private key')
    .option('--label <label>', 'a name to select the key by')
    .addOption(dirOption())
    .addOption(passwordFileOption())
    .addOption(lightOption())
    .action(action(async (options: StoreOptions & { keyFile?: string }) => {
      const privateKey = await readPrivateKey(options.keyFile);
      const password = await resolvePassword({ passwordFile: options.passwordFile, env: process.env, prompt: { message: `Password for the imported ${options.role} key`, confirm: true } });
      const entry = await importKeystore({ dir: options.keystoreDir, role: options.role, password, privateKey, label: options.label, strength: strength(options) });
      process.stdout.write(`${entry.address}\n`);
      process.stderr.write(`imported ${entry.role} key ${entry.label} into ${entry.file}\n`);
    }));

  wallet
    .command('list')
    .description('list the keystores in the keystore directory')
    .addOption(dirOption())
    .option('--json', 'print a JSON array')
    .action(action(async (options: { keystoreDir: string; json?: boolean }) => {
      const entries = await listKeystores(options.keystoreDir);
      if (options.json === true) {
        process.stdout.write(`${toJson(entries)}\n`);
        return;
      }
      if (entries.length === 0) {
        process.stderr.write(`no keystores in ${options.keystoreDir}; create one with \`gradnet wallet new\`\n`);
        return;
      }
      process.stdout.write(`${renderTable(entries, [
        { header: 'role', value: (entry) => entry.role },
        { header: 'label', value: (entry) => entry.label },
        { header: 'address', value: (entry) => entry.address },
        { header: 'created', value: (entry) => entry.createdAt },
      ])}\n`);
    }));

  wallet
    .command('address')
    .description('print the address of a keystore')
    .addOption(roleOption())
    .argument('[select]', 'address or label (default: the only keystore of that role)')
    .addOption(dirOption())
    .action(action(async (select: string | undefined, options: { role: KeyRole; keystoreDir: string }) => {
      const entry = await findKeystore(options.keystoreDir, options.role, select);
      process.stdout.write(`${entry.address}\n`);
    }));

  return wallet;
}

function strength(options: { light?: boolean }): KeystoreStrength {
  return options.light === true ? 'light' : 'standard';
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
