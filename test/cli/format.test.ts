import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatTokens, renderRounds, roundJson, shortHex, toJson, type RoundRow } from '../../cli/index.ts';

const hash = (digit: string) => `0x${digit.repeat(64)}` as const;
const row: RoundRow = {
  round: 2,
  modelHash: hash('a'),
  parentHash: hash('b'),
  updatesRoot: hash('c'),
  rewardsRoot: hash('d'),
  contributors: 3,
  totalSamples: 19200n,
  loss: 215_000n,
  accuracy: 953_400n,
  reward: 100n * 10n ** 18n + 5n * 10n ** 17n,
  blockNumber: 42n,
  txHash: hash('e'),
  timestamp: 1_795_000_000n,
};

describe('CLI formatting', () => {
  it('formats token amounts without floating point', () => {
    assert.equal(formatTokens(0n), '0');
    assert.equal(formatTokens(10n ** 18n), '1');
    assert.equal(formatTokens(1_234_567_890_000_000_000n, 4), '1.2345');
    assert.equal(formatTokens(-5n * 10n ** 17n), '-0.5');
  });

  it('shortens hashes and prints bigints in JSON', () => {
    assert.equal(shortHex(hash('a')), '0xaaaaaa…aaaa');
    assert.equal(toJson({ wei: 10n ** 20n }), '{\n  "wei": "100000000000000000000"\n}');
  });

  it('renders a round as the documented JSON fields and as a table row', () => {
    assert.deepEqual(Object.keys(roundJson(row)), [
      'round', 'modelHash', 'parentHash', 'updatesRoot', 'rewardsRoot', 'contributors', 'totalSamples', 'loss', 'accuracy', 'reward', 'blockNumber', 'txHash',
    ]);
    assert.equal(roundJson(row).accuracy, 0.9534);
    assert.equal(roundJson(row).reward, '100500000000000000000');
    const table = renderRounds([row]);
    assert.match(table, /95\.34%/);
    assert.match(table, /100\.5/);
    assert.match(table, /0\.2150/);
    assert.match(table, /2026-11-18|2026-11-1\d/);
  });
});
