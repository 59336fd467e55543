import { GradnetError } from '../errors.ts';

/** A child process or a condition that was waited for did not come through. */
export class ProcessError extends GradnetError {}
