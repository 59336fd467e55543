/**
 * Settings files, GRADNET_* environment variables and flags merged and validated with zod, and
 * the schemas of the commands that share them (chain, wallet, daemon). Network defaults come from
 * where the policy lives: the top-k fraction from core/tensor, the norm bound from core/protocol.
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
