import { GradnetError } from '../../core/errors.ts';

/**
 * The CLI's one error policy, wrapped around every command's action: a GradnetError (something
 * the user can fix, its message says how) becomes one line `error: …` on stderr and exit code 1;
 * anything else is a bug and keeps its stack trace. Bad arguments never get this far: commander
 * rejects them first, also in one line (see program.ts).
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
