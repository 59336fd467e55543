import { loadavg } from 'node:os';
import { aggregate, aggregationRuleNames, type AggregationUpdate } from '../../core/aggregate/index.ts';

const PARAMS = 1_000_000;
const UPDATES = 16;
const REPEATS = 7;

/** Deterministic pseudo-random updates (xorshift), so every run measures the same data. */
function syntheticUpdates(): AggregationUpdate[] {
  let state = 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000 - 0.5;
  };
  return Array.from({ length: UPDATES }, (_, i) => {
    const delta = new Float32Array(PARAMS);
    for (let k = 0; k < PARAMS; k++) delta[k] = next() * 0.01;
    return { digest: `0x${(i + 1).toString(16).padStart(64, '0')}`, delta, samples: 1000 + i };
  });
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

/**
 * `gradnet bench aggregate`: each rule with its default parameters on 16 updates of 1,000,000
 * parameters, per-update statistics included. After a warm-up run, 7 timed runs: `ms` is the
 * fastest (the machine is shared, and other work only ever adds time), `medianMs` the median, and
 * `cpuMs` the least process CPU time, which other processes disturb less than the wall clock.
 */
export async function run(): Promise<Record<string, unknown>> {
  const updates = syntheticUpdates();
  const rules: Record<string, { ms: number; medianMs: number; cpuMs: number }> = {};
  const loadBefore = loadavg()[0];
  for (const rule of aggregationRuleNames) {
    aggregate(rule, updates);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const cpuStart = process.cpuUsage();
      const started = performance.now();
      aggregate(rule, updates);
      wall.push(performance.now() - started);
      const used = process.cpuUsage(cpuStart);
      cpu.push((used.user + used.system) / 1000);
    }
    wall.sort((a, b) => a - b);
    rules[rule] = { ms: round1(wall[0]), medianMs: round1(wall[REPEATS >> 1]), cpuMs: round1(Math.min(...cpu)) };
  }
  return {
    suite: 'aggregate',
    params: PARAMS,
    updates: UPDATES,
    rules,
    loadAverage: { before: round1(loadBefore), after: round1(loadavg()[0]), cores: navigator.hardwareConcurrency },
  };
}
