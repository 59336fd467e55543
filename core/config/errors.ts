import { GradnetError } from '../errors.ts';

/** A setting from a flag, an environment variable or the config file is missing or invalid. */
export class ConfigError extends GradnetError {
  /** The setting's name as in the config file (camelCase), or the file itself. */
  readonly setting: string;

  constructor(setting: string, value: unknown, message: string) {
    super('CONFIG_INVALID', message, { value });
    this.setting = setting;
  }
}
