import { InvalidArgumentError } from 'commander';
import { getAddress, isAddress, parseEther, type Address, type Hex } from 'viem';

// Parsers shared by `gradnet devnet` and `gradnet deploy`; each names the offending value.

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError(`"${value}" is not a port (an integer 0-65535)`);
  return port;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number of seconds`);
  return n;
}

/** A GRAD amount in decimal tokens ("100", "0.5") to wei. */
export function parseTokens(value: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a token amount (decimal GRAD such as 100 or 0.5)`);
  return parseEther(value);
}

export function parseAddress(value: string): Address {
  if (!isAddress(value, { strict: false })) throw new InvalidArgumentError(`"${value}" is not an 0x-prefixed 20-byte address`);
  return getAddress(value);
}

export function parseHash(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError(`"${value}" is not an 0x-prefixed 32-byte hash`);
  return value.toLowerCase() as Hex;
}

/** Writes a one-line error (the message says what to do) and sets a failing exit code. */
export function reportFailure(error: unknown): void {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
