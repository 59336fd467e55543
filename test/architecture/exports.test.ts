import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { exportNames } from './door-exports.ts';
import { doorFiles } from './import-graph.ts';

const SNAPSHOT = new URL('./door-exports.snapshot.json', import.meta.url);
const UPDATE = process.env.GRADNET_UPDATE_SNAPSHOTS === '1';

/** What changed between two snapshots, door by door: `+name` added, `-name` gone. */
function differences(expected: Record<string, string[]>, actual: Record<string, string[]>): string[] {
  const doors = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return doors.flatMap((door) => {
    const before = new Set(expected[door] ?? []);
    const after = new Set(actual[door] ?? []);
    const changes = [...[...after].filter((name) => !before.has(name)).map((name) => `+${name}`), ...[...before].filter((name) => !after.has(name)).map((name) => `-${name}`)];
    return changes.length === 0 ? [] : [`  ${door}: ${changes.join(' ')}`];
  });
}

describe('door export surfaces', () => {
  it('match the snapshot (a change to a door is a change to its users: review it, then update)', () => {
    const actual = Object.fromEntries(doorFiles().map((door) => [door, exportNames(door)]));
    if (UPDATE || !existsSync(SNAPSHOT)) {
      writeFileSync(SNAPSHOT, `${JSON.stringify(actual, null, 2)}\n`);
      return;
    }
    const expected = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, string[]>;
    const changes = differences(expected, actual);
    assert.equal(
      changes.length,
      0,
      `door exports changed:\n${changes.join('\n')}\nIf intended, run GRADNET_UPDATE_SNAPSHOTS=1 node --import tsx --test test/architecture/exports.test.ts and commit the snapshot.`,
    );
  });

  it('are read from the syntax: re-exported names, own exported declarations, types included', () => {
    const names = exportNames('core/rewards/index.ts');
    for (const name of ['payRound', 'PayoutOptions', 'RewardsError', 'EMPTY_REWARDS_ROOT']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
  });
});
