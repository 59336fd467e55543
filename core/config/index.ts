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
