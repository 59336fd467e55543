import { InvalidArgumentError } from 'commander';
import type { Address, Hex } from 'viem';

// The CLI's one set of option parsers. Each returns the parsed value or throws commander's
// InvalidArgumentError naming the offending value, which the program prints as one line with a
// pointer to the command's --help (see program.ts). They load nothing but commander, so that
// defining the command tree stays cheap: checksums and the like happen where the value is used.

/** A parser for a decimal integer in [min, max]; `what` names the expectation in the message. */
export function integer(range: { min?: number; max?: number; what?: string } = {}): (value: string) => number {
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const what = range.what ?? (range.max !== undefined ? `an integer from ${min} to ${max}` : min === 1 ? 'a positive integer' : 'a whole number');
  return (value: string): number => {
    const parsed = /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`"${value}" is not ${what}`);
    return parsed;
  };
}

export const parsePort = integer({ min: 0, max: 65_535, what: 'a port (an integer 0-65535)' });
export const parsePositiveInt = integer({ min: 1 });
export const parseSeconds = integer({ what: 'a whole number of seconds' });

/** A finite number above zero, such as a learning rate or a fraction. */
export function parsePositiveNumber(value: string): number {
  const parsed = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number`);
  return parsed;
}

const TOKEN_DECIMALS = 18;

/** A GRAD amount in decimal tokens ("100", "0.5") to wei, exactly (no floating point). */
export function parseTokens(value: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,18}))?$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError(`"${value}" is not an amount of GRAD (a decimal such as 100 or 0.5, at most ${TOKEN_DECIMALS} decimals)`);
  const [, whole, fraction = ''] = match;
  return BigInt(whole) * 10n ** BigInt(TOKEN_DECIMALS) + BigInt(fraction.padEnd(TOKEN_DECIMALS, '0'));
}

/** A 20-byte hex address in any case, returned lower-case (valid for viem, which checksums where it prints). */
export function parseAddress(value: string): Address {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value.trim())) throw new InvalidArgumentError(`"${value}" is not an 0x-prefixed 20-byte address`);
  return value.trim().toLowerCase() as Address;
}

export function parseHash(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value.trim())) throw new InvalidArgumentError(`"${value}" is not an 0x-prefixed 32-byte hash`);
  return value.trim().toLowerCase() as Hex;
}

/** A parser for one of `names` (`noun` says what they are in the message). */
export function oneOf(names: readonly string[], noun: string): (value: string) => string {
  return (value: string): string => {
    if (!names.includes(value)) throw new InvalidArgumentError(`unknown ${noun} "${value}"; known ${noun}s: ${names.join(', ')}`);
    return value;
  };
}

/** For a repeatable option: every value given, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
