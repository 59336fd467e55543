import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** Where the values come from, lowest precedence first: schema defaults, file, environment, flags. */
export interface ConfigSources {
  /** Parsed command-line options keyed by setting name (commander's camelCase); undefined = not given. */
  flags?: Record<string, unknown>;
  /** Environment; `GRADNET_RPC_URL` sets `rpcUrl`, and so on. */
  env?: Record<string, string | undefined>;
  /** A JSON config file; read when given or when `GRADNET_CONFIG` names one. */
  file?: string;
  /** Flags whose name is not the setting's kebab-case, e.g. `{ rpcUrl: 'rpc' }` for `--rpc`. */
  flagNames?: Record<string, string>;
}

/** A settings object, possibly with cross-setting checks (`.refine`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConfigSchema = z.ZodObject<any> | z.ZodEffects<z.ZodObject<any>>;

type Source = 'default' | `config file ${string}` | `environment ${string}` | `flag --${string}`;

/** `rpcUrl` -> `GRADNET_RPC_URL`. */
export function envName(setting: string): string {
  return `GRADNET_${setting.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** `rpcUrl` -> `rpc-url`. */
function kebab(setting: string): string {
  return setting.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * Merges the sources, coerces strings from the environment and flags to the schema's
 * types, and validates. Any problem becomes one ConfigError naming the setting, the
 * offending value and where it came from.
 */
export function loadConfig<Schema extends ConfigSchema>(schema: Schema, sources: ConfigSources): z.infer<Schema> {
  const object: z.ZodObject<z.ZodRawShape> = schema instanceof z.ZodEffects ? schema.innerType() : (schema as z.ZodObject<z.ZodRawShape>);
  const shape = object.shape;
  const settings = Object.keys(shape);
  const flagName = (setting: string): string => sources.flagNames?.[setting] ?? kebab(setting);
  const merged: Record<string, unknown> = {};
  const origin: Record<string, Source> = {};
  const take = (setting: string, value: unknown, source: Source): void => {
    merged[setting] = value;
    origin[setting] = source;
  };

  const env = sources.env ?? {};
  const file = sources.file ?? env.GRADNET_CONFIG;
  if (file !== undefined) {
    for (const [setting, value] of Object.entries(readConfigFile(file, settings))) take(setting, value, `config file ${file}`);
  }
  for (const setting of settings) {
    const value = env[envName(setting)];
    if (value !== undefined && value !== '') take(setting, coerce(shape[setting], value), `environment ${envName(setting)}`);
  }
  for (const [setting, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined || !settings.includes(setting)) continue;
    take(setting, coerce(shape[setting], value), `flag --${flagName(setting)}`);
  }

  const parsed = schema.safeParse(merged);
  if (parsed.success) return parsed.data as z.infer<Schema>;
  const issue = parsed.error.issues[0];
  const setting = String(issue.path[0] ?? '');
  const value = merged[setting];
  const source = origin[setting] ?? 'default';
  const shown = value === undefined ? 'missing' : `= ${JSON.stringify(value)}`;
  const where = source === 'default' ? `set it with --${flagName(setting)}, ${envName(setting)} or "${setting}" in the config file` : `fix it in the ${source}`;
  throw new ConfigError(setting, value, `invalid setting "${setting}" ${shown}: ${issue.message}; ${where}`);
}

function readConfigFile(file: string, settings: readonly string[]): Record<string, unknown> {
  if (!existsSync(file)) throw new ConfigError(file, file, `config file ${file} does not exist; create it or drop --config/GRADNET_CONFIG`);
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(file, file, `config file ${file} is not valid JSON (${(error as Error).message}); fix its syntax`);
  }
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new ConfigError(file, content, `config file ${file} must hold one JSON object of settings`);
  }
  for (const key of Object.keys(content)) {
    if (!settings.includes(key)) {
      throw new ConfigError(key, (content as Record<string, unknown>)[key], `config file ${file}: unknown setting "${key}"; known settings: ${settings.join(', ')}`);
    }
  }
  return content as Record<string, unknown>;
}

/** Strings from the environment or the command line, turned into what the setting holds. */
function coerce(type: z.ZodTypeAny | undefined, value: unknown): unknown {
  if (typeof value !== 'string' || type === undefined) return value;
  const base = unwrap(type);
  if (base instanceof z.ZodNumber) return value.trim() === '' ? value : Number(value);
  if (base instanceof z.ZodBoolean) {
    if (/^(true|1|yes|on)$/i.test(value)) return true;
    if (/^(false|0|no|off)$/i.test(value)) return false;
    return value;
  }
  if (base instanceof z.ZodArray) return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return value;
}

function unwrap(type: z.ZodTypeAny): z.ZodTypeAny {
  if (type instanceof z.ZodDefault) return unwrap(type._def.innerType);
  if (type instanceof z.ZodOptional || type instanceof z.ZodNullable) return unwrap(type.unwrap());
  if (type instanceof z.ZodEffects) return unwrap(type.innerType());
  return type;
}
