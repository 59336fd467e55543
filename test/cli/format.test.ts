import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatTokens, renderRounds, roundJson, shortHex, toJson, type RoundRow } from '../../cli/index.ts';
import { roundRows } from '../../cli/support/rounds.ts';
import type { CommittedRound } from '../../core/chain/index.ts';

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
  status: 'final',
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
      'round', 'modelHash', 'parentHash', 'updatesRoot', 'rewardsRoot', 'contributors', 'totalSamples', 'loss', 'accuracy', 'reward', 'blockNumber', 'txHash', 'status',
    ]);
    assert.equal(roundJson(row).accuracy, 0.9534);
    assert.equal(roundJson(row).reward, '100500000000000000000');
    const table = renderRounds([row]);
    assert.match(table, /95\.34%/);
    assert.match(table, /100\.5/);
    assert.match(table, /0\.2150/);
    assert.match(table, /2026-11-18|2026-11-1\d/);
  });

  it('gives each commit its status: final once its challenge window passed, pending before, voided when a challenge took it back', () => {
    const commit = (roundId: number, committedAt: number, blockNumber: bigint, digit: string): CommittedRound => ({
      roundId, modelHash: hash(digit), parentHash: hash('0'), updatesRoot: hash('1'), rewardsRoot: hash('2'), contributors: 3, totalSamples: 100,
      loss: 1, accuracy: 2, rewardBudget: 5n, blockNumber, committedAt, transactionHash: hash('3'),
    });
    const voided = { ...commit(2, 1_000, 12n, 'b'), voidedInBlock: 13n, voidTransactionHash: hash('4') };
    const rows = roundRows([commit(1, 990, 11n, 'a'), commit(2, 1_005, 14n, 'c')], [voided], { windowSeconds: 10, now: 1_010n });
    assert.deepEqual(rows.map((entry) => [entry.round, entry.modelHash[2], entry.status, entry.finalAt]), [
      [1, 'a', 'final', undefined],
      [2, 'b', 'voided', undefined],
      [2, 'c', 'pending', 1_015n],
    ]);
    assert.equal(roundJson(rows[2]).status, 'pending');
    assert.match(renderRounds(rows), /voided[\s\S]*pending \(final at \d\d:\d\d:\d\d\)/);
  });
});
