// Option groups several commands share. Commander only: the settings they feed are read and
// validated in support/settings.ts, when the command runs.
import { Command, Option } from 'commander';

/** Options of every command that reads the chain: `--rpc`, `--deployments`, `--config`, `--log-level`. */
export function withChainOptions(command: Command): Command {
  return command
    .option('--rpc <url>', 'JSON-RPC endpoint (GRADNET_RPC_URL; default http://127.0.0.1:8545)')
    .option('--deployments <file>', 'address book (GRADNET_DEPLOYMENTS; default deployments/<chainId>.json)')
    .option('--coordinator-url <url>', 'coordinator HTTP API, e.g. http://127.0.0.1:7070 (GRADNET_COORDINATOR_URL)')
    .option('--config <file>', 'JSON config file of settings (GRADNET_CONFIG)')
    .addOption(new Option('--log-level <level>', 'log level (GRADNET_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']));
}

/** Options of commands that sign with a keystore key. */
export function withWalletOptions(command: Command): Command {
  return command
    .option('--keystore-dir <dir>', 'keystore directory (GRADNET_KEYSTORE_DIR; default ~/.gradnet/keystores)')
    .option('--password-file <file>', 'first line is the keystore password (else GRADNET_PASSWORD, else a prompt)');
}

/**
 * `--rpc-url`, the old name of `--rpc` on deploy and coordinator: hidden from help and still
 * accepted, with a warning (rpcFlag in support/settings.ts), so existing scripts keep working.
 */
export function withDeprecatedRpcUrl(command: Command): Command {
  return command.addOption(new Option('--rpc-url <url>', 'deprecated: use --rpc').hideHelp());
}
