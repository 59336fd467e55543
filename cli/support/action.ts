import { GradnetError } from '../../core/errors.ts';

/**
 * Wraps a command's action: a GradnetError (bad input the user can fix) becomes one line
 * on stderr and exit code 1; anything else is a bug and keeps its stack trace.
 */
export function action<Args extends unknown[]>(run: (...args: Args) => Promise<void>): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    try {
      await run(...args);
    } catch (error) {
      if (error instanceof GradnetError) {
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = 1;
        return;
      }
      throw error;
    }
  };
}
