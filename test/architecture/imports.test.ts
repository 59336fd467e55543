import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { doorFolderOf, doorViolations, findCycles, importGraph, unitGraph, unitOf } from './import-graph.ts';

const graph = importGraph();

describe('import graph of core/ node/ coordinator/ cli/ bench/ ignition/ scripts/', () => {
  it('reads the sources', () => {
    assert.ok(graph.size > 100, `only ${graph.size} files found`);
    assert.ok(graph.get('core/rewards/index.ts')?.includes('core/rewards/payout.ts'), 'core/rewards/index.ts re-exports payout.ts');
  });

  it('has no import cycle among files', () => {
    const cycles = findCycles(graph);
    assert.equal(cycles.length, 0, `break these cycles (type-only and dynamic imports count):\n${cycles.map((cycle) => `  ${cycle.join(' → ')}`).join('\n')}`);
  });

  it('has no import cycle among folders (core/<x>, node, coordinator, cli, bench, ignition, scripts)', () => {
    const cycles = findCycles(unitGraph(graph));
    const witnesses = cycles.map((cycle) =>
      cycle
        .slice(0, -1)
        .map((unit, i) => {
          const next = cycle[i + 1];
          const edge = [...graph].flatMap(([from, targets]) => (unitOf(from) === unit ? targets.filter((to) => unitOf(to) === next).map((to) => `${from} → ${to}`) : []));
          return `  ${unit} → ${next} (${edge[0]})`;
        })
        .join('\n'),
    );
    assert.equal(cycles.length, 0, `break these folder cycles:\n${witnesses.join('\n\n')}`);
  });

  it('enters every folder only through its index.ts door', () => {
    const violations = doorViolations(graph).map(({ from, to }) => `  ${from} → ${to} (use ${doorFolderOf(to)}/index.ts)`);
    assert.equal(violations.length, 0, `imports past a door:\n${violations.join('\n')}`);
  });
});

describe('the checks themselves', () => {
  it('find a cycle as a closed path, and a self-import', () => {
    const cycles = findCycles(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', ['a', 'd']],
        ['d', []],
        ['e', ['e']],
      ]),
    );
    assert.deepEqual(cycles, [['e', 'e'], ['a', 'b', 'c', 'a']].sort((x, y) => (x[0] < y[0] ? -1 : 1)));
  });

  it('let a folder import its own files, and others only its index.ts', () => {
    const violations = doorViolations(
      new Map([
        ['core/ml/train.ts', ['core/ml/spec.ts', 'core/tensor/index.ts', 'core/errors.ts']],
        ['bench/suites/demo.ts', ['bench/sim/index.ts', 'cli/demo/run.ts', 'core/tensor/codecs.ts']],
        ['scripts/export-abi.ts', ['ignition/modules/Gradnet.ts']],
      ]),
    );
    assert.deepEqual(violations, [
      { from: 'bench/suites/demo.ts', to: 'cli/demo/run.ts' },
      { from: 'bench/suites/demo.ts', to: 'core/tensor/codecs.ts' },
    ]);
  });
});
