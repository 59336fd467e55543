import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulationError } from '../../bench/sim/index.ts';
import { run } from '../../bench/suites/byzantine.ts';

describe('bench byzantine options', () => {
  it('refuses an unknown rule, an unknown attack and attacker counts that leave no honest peer or no attacker, before loading any data', async () => {
    const cases: [Parameters<typeof run>[0], RegExp][] = [
      [{ jsonFile: '/dev/null', rules: ['krum'] }, /unknown rule "krum"; known rules: mean, .*cosineWeighted/],
      [{ jsonFile: '/dev/null', attacks: ['backdoor'] }, /unknown attack "backdoor"; known attacks: .*labelflip, ipm/],
      [{ jsonFile: '/dev/null', peers: 4, malicious: 4 }, /--malicious 4 must be from 1 to 3/],
      [{ jsonFile: '/dev/null', malicious: 0 }, /--malicious 0 must be from 1 to 9/],
      [{ jsonFile: '/dev/null', shards: 'dirichlet:-1' }, /neither iid nor dirichlet:ALPHA/],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(run(options), (error: Error) => error instanceof SimulationError && message.test(error.message), JSON.stringify(options));
    }
  });
});
