import { GradnetError } from '../../core/errors.ts';

/** A command cannot run as invoked (a setting is missing); the message says which flag or variable to set. */
export class CliError extends GradnetError {}
