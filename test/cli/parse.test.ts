import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import { integer, oneOf, parseAddress, parseHash, parsePort, parsePositiveInt, parsePositiveNumber, parseSeconds, parseTokens } from '../../cli/support/parse.ts';

const rejects = (parse: (value: string) => unknown, value: string, message: RegExp): void => {
  assert.throws(() => parse(value), (error: unknown) => error instanceof InvalidArgumentError && message.test(error.message), `${value}`);
};

describe('CLI option parsers', () => {
  it('parse decimal integers in range and name the offending value otherwise', () => {
    assert.equal(parsePort('8545'), 8545);
    assert.equal(parsePort('0'), 0);
    for (const bad of ['eighty', '65536', '-1', '1.5', '', '0x10', '1e3']) rejects(parsePort, bad, new RegExp(`^"${bad}" is not a port \\(an integer 0-65535\\)$`));
    assert.equal(parsePositiveInt('3'), 3);
    rejects(parsePositiveInt, '0', /^"0" is not a positive integer$/);
    assert.equal(parseSeconds('0'), 0);
    rejects(parseSeconds, 'soon', /^"soon" is not a whole number of seconds$/);
    const peers = integer({ min: 1, max: 16 });
    assert.equal(peers('16'), 16);
    rejects(peers, '17', /^"17" is not an integer from 1 to 16$/);
    rejects(integer(), '9007199254740993', /is not a whole number/);
  });

  it('parse positive numbers, token amounts without floating point, addresses, hashes and choices', () => {
    assert.equal(parsePositiveNumber('0.003'), 0.003);
    for (const bad of ['0', '-1', 'fast', '', 'Infinity']) rejects(parsePositiveNumber, bad, /is not a positive number/);
    assert.equal(parseTokens('100'), 100n * 10n ** 18n);
    assert.equal(parseTokens('0.000000000000000001'), 1n);
    assert.equal(parseTokens(' 250.5 '), 2505n * 10n ** 17n);
    for (const bad of ['1.0000000000000000001', '-1', '1e3', 'ten', '.5']) rejects(parseTokens, bad, /is not an amount of GRAD/);
    assert.equal(parseAddress('0x70997970C51812dc3A010C7d01b50e0d17dc79C8'), '0x70997970c51812dc3a010c7d01b50e0d17dc79c8');
    rejects(parseAddress, '0x1234', /^"0x1234" is not an 0x-prefixed 20-byte address$/);
    assert.equal(parseHash(`0x${'AB'.repeat(32)}`), `0x${'ab'.repeat(32)}`);
    rejects(parseHash, '0xab', /is not an 0x-prefixed 32-byte hash/);
    assert.equal(oneOf(['gas', 'all'], 'suite')('gas'), 'gas');
    rejects(oneOf(['gas', 'all'], 'suite'), 'fast', /^unknown suite "fast"; known suites: gas, all$/);
  });
});
