import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregationRuleNames } from '../../core/aggregate/index.ts';
import { measureInFreshProcesses } from '../../bench/suites/aggregate.ts';

test('bench aggregate times every rule in each fresh process, lists every run and reports the median over processes', async () => {
  const rules = await measureInFreshProcesses({ params: 3000, updates: 5, repeats: 2, processes: 3 });
  assert.deepEqual(Object.keys(rules), [...aggregationRuleNames]);
  for (const [rule, figures] of Object.entries(rules)) {
    assert.equal(figures.runs.length, 3, rule);
    for (const run of figures.runs) assert.ok(run.ms > 0 && run.cpuMs >= 0, `${rule}: ${JSON.stringify(run)}`);
    const sorted = figures.runs.map((run) => run.ms).sort((a, b) => a - b);
    assert.equal(figures.medianMs, sorted[1], rule);
    assert.equal(figures.medianCpuMs, figures.runs.map((run) => run.cpuMs).sort((a, b) => a - b)[1], rule);
  }
});
