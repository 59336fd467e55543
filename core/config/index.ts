/**
 * Settings files, GRADNET_* environment variables and flags merged and validated with zod, and
 * the schemas of the commands that share them (chain, wallet, daemon). The network's defaults
 * (top-k fraction, update norm bound) come from core/defaults.
 */
export { loadConfig, envName, type ConfigSources, type ConfigSchema } from './load.ts';
export { ConfigError } from './errors.ts';
export {
  chainConfigSchema,
  walletConfigSchema,
  daemonConfigSchema,
  chainSettings,
  walletSettings,
  GRADNET_HOME,
  DEFAULT_KEYSTORE_DIR,
  DEFAULT_RPC_URL,
  type ChainConfig,
  type WalletConfig,
  type DaemonConfig,
} from './schemas.ts';
