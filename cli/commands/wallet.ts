import { Command, Option } from 'commander';
import type { KeyRole } from '../../core/wallet/index.ts';
import type { StoreFlags } from '../actions/wallet.ts';
import { action } from '../support/action.ts';

const roleOption = () =>
  new Option('--role <role>', 'owner (cold: stakes, receives rewards) or node (hot: signs updates, libp2p identity)').choices(['owner', 'node']).default('node');
// The default directory is filled in when the command runs (core/config): loading it here would slow every --help.
const dirOption = () => new Option('--keystore-dir <dir>', 'keystore directory (default ~/.gradnet/keystores)').env('GRADNET_KEYSTORE_DIR');
const passwordFileOption = () => new Option('--password-file <file>', 'read the password from the first line of this file (else GRADNET_PASSWORD, else a prompt)');
const lightOption = () => new Option('--light', 'cheap scrypt parameters, for throw-away dev keys only');
const wallet = () => import('../actions/wallet.ts');

/** `gradnet wallet new|import|list|address`: encrypted Web3 Secret Storage keystores. */
export function walletCommand(): Command {
  const command = new Command('wallet').description('create, import and list encrypted keystores (owner and node keys)');

  command
    .command('new')
    .description('create a random key and store it encrypted')
    .addOption(roleOption())
    .option('--label <label>', 'a name to select the key by')
    .addOption(dirOption())
    .addOption(passwordFileOption())
    .addOption(lightOption())
    .action(action(async (flags: StoreFlags) => (await wallet()).newKey(flags)));

  command
    .command('import')
    .description('encrypt an existing private key into a keystore (read from --key-file or a hidden prompt, never from the command line)')
    .addOption(roleOption())
    .option('--key-file <file>', 'file holding the 0x-prefixed private key')
    .option('--label <label>', 'a name to select the key by')
    .addOption(dirOption())
    .addOption(passwordFileOption())
    .addOption(lightOption())
    .action(action(async (flags: StoreFlags & { keyFile?: string }) => (await wallet()).importKey(flags)));

  command
    .command('list')
    .description('list the keystores in the keystore directory')
    .addOption(dirOption())
    .option('--json', 'print a JSON array')
    .action(action(async (flags: { keystoreDir?: string; json?: boolean }) => (await wallet()).listKeys(flags)));

  command
    .command('address')
    .description('print the address of a keystore')
    .addOption(roleOption())
    .argument('[select]', 'address or label (default: the only keystore of that role)')
    .addOption(dirOption())
    .action(action(async (select: string | undefined, flags: { role: KeyRole; keystoreDir?: string }) => (await wallet()).keyAddress(select, flags)));

  return command;
}
