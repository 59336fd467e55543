import { readFile } from 'node:fs/promises';
import { read } from 'read';
import { WalletError } from './errors.ts';

export interface PasswordSources {
  /** A file whose first line is the password. */
  passwordFile?: string;
  /** `GRADNET_PASSWORD` is read from here. */
  env?: Record<string, string | undefined>;
  /** Ask on the terminal when neither a file nor the variable gives one (never when stdin is not a TTY). */
  prompt?: { message: string; confirm?: boolean };
}

/** The keystore password: --password-file, else GRADNET_PASSWORD, else a hidden prompt. */
export async function resolvePassword(sources: PasswordSources): Promise<string> {
  if (sources.passwordFile !== undefined) {
    let content: string;
    try {
      content = await readFile(sources.passwordFile, 'utf8');
    } catch (error) {
      throw new WalletError('NO_PASSWORD', sources.passwordFile, `cannot read password file ${sources.passwordFile} (${(error as NodeJS.ErrnoException).code}); check the path given to --password-file`);
    }
    const password = content.split(/\r?\n/)[0];
    if (password === '') throw new WalletError('NO_PASSWORD', sources.passwordFile, `password file ${sources.passwordFile} is empty; put the password on its first line`);
    return password;
  }
  const fromEnv = sources.env?.GRADNET_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (sources.prompt === undefined || process.stdin.isTTY !== true) {
    throw new WalletError('NO_PASSWORD', undefined, 'no keystore password: pass --password-file FILE or set GRADNET_PASSWORD (or run on a terminal to be asked)');
  }
  const password = await read({ prompt: `${sources.prompt.message}: `, silent: true, replace: '*', output: process.stderr });
  if (password === '') throw new WalletError('NO_PASSWORD', undefined, 'an empty password is not allowed');
  if (sources.prompt.confirm === true) {
    const again = await read({ prompt: 'Repeat the password: ', silent: true, replace: '*', output: process.stderr });
    if (again !== password) throw new WalletError('NO_PASSWORD', undefined, 'the two passwords differ; run the command again');
  }
  return password;
}
