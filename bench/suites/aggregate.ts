import { aggregate, aggregationRuleNames, type AggregationUpdate } from '../../core/aggregate/index.ts';

const PARAMS = 1_000_000;
const UPDATES = 16;
const REPEATS = 5;

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

/**
 * `gradnet bench aggregate`: each rule on 16 updates of 1,000,000 parameters, statistics
 * included; the median of 5 runs after a warm-up, since the machine is shared.
 */
export async function run(): Promise<Record<string, unknown>> {
  const updates = syntheticUpdates();
  const rules: Record<string, { ms: number }> = {};
  for (const rule of aggregationRuleNames) {
    aggregate(rule, updates);
    const times: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const started = performance.now();
      aggregate(rule, updates);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    rules[rule] = { ms: Math.round(times[REPEATS >> 1] * 10) / 10 };
  }
  return { suite: 'aggregate', params: PARAMS, updates: UPDATES, rules };
}
