import type { z } from 'zod';
import { loadConfig, type ConfigSchema } from '../../core/config/index.ts';

/** The command's settings from its flags, the GRADNET_* environment and the config file, validated. */
export function readSettings<Schema extends ConfigSchema>(schema: Schema, options: Record<string, unknown>): z.infer<Schema> {
  const { config, rpc, ...flags } = options;
  return loadConfig(schema, {
    flags: { ...flags, rpcUrl: rpc },
    env: process.env,
    file: typeof config === 'string' ? config : undefined,
    flagNames: { rpcUrl: 'rpc' },
  });
}
