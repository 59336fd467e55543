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

/** `--rpc`, or the deprecated `--rpc-url` with a warning on stderr; undefined when neither is given. */
export function rpcFlag(flags: { rpc?: string; rpcUrl?: string }, warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string | undefined {
  if (flags.rpcUrl !== undefined) warn('warning: --rpc-url is deprecated and will go; use --rpc (the same flag as every other gradnet command)');
  return flags.rpc ?? flags.rpcUrl;
}
