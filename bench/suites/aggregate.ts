import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { aggregate, aggregationRuleNames, type AggregationUpdate } from '../../core/aggregate/index.ts';

const PARAMS = 1_000_000;
const UPDATES = 16;
/** Fresh processes: the target is the median over at least 5. */
const PROCESSES = 7;
/** Timed runs per rule in each process, after one warm-up run. */
const REPEATS = 5;
const CHILD = fileURLToPath(new URL('./aggregate-process.ts', import.meta.url));

/** Deterministic pseudo-random updates (xorshift), so every run measures the same data. */
function syntheticUpdates(params: number, updates: number): AggregationUpdate[] {
  let state = 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000 - 0.5;
  };
  return Array.from({ length: updates }, (_, i) => {
    const delta = new Float32Array(params);
    for (let k = 0; k < params; k++) delta[k] = next() * 0.01;
    return { digest: `0x${(i + 1).toString(16).padStart(64, '0')}`, delta, samples: 1000 + i };
  });
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** One process's figures for one rule: the median of its timed runs (wall clock) and the least CPU time. */
export interface ProcessFigures {
  ms: number;
  cpuMs: number;
}

/**
 * Times every rule, with its default parameters and per-update statistics, on `updates`
 * synthetic updates of `params` parameters in this process: one warm-up run, then `repeats`
 * timed runs.
 */
export function measureRules(options: { params: number; updates: number; repeats: number }): Record<string, ProcessFigures> {
  const updates = syntheticUpdates(options.params, options.updates);
  const rules: Record<string, ProcessFigures> = {};
  for (const rule of aggregationRuleNames) {
    aggregate(rule, updates);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < options.repeats; r++) {
      const cpuStart = process.cpuUsage();
      const started = performance.now();
      aggregate(rule, updates);
      wall.push(performance.now() - started);
      const used = process.cpuUsage(cpuStart);
      cpu.push((used.user + used.system) / 1000);
    }
    rules[rule] = { ms: round1(median(wall)), cpuMs: round1(Math.min(...cpu)) };
  }
  return rules;
}

/**
 * Per rule: the median over processes of each process's median run, the median of their CPU
 * times (what the code costs when other processes compete for the cores), and every process's figures.
 */
export interface RuleFigures {
  medianMs: number;
  medianCpuMs: number;
  runs: ProcessFigures[];
}

/**
 * Runs measureRules in `processes` fresh processes, one after the other (never two at once on a
 * shared machine), and gathers every process's figures per rule.
 */
export async function measureInFreshProcesses(options: { params: number; updates: number; repeats: number; processes: number }): Promise<Record<string, RuleFigures>> {
  const rules: Record<string, RuleFigures> = {};
  for (let p = 0; p < options.processes; p++) {
    const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, CHILD, String(options.params), String(options.updates), String(options.repeats)], {
      maxBuffer: 1 << 20,
    });
    const figures = JSON.parse(stdout) as Record<string, ProcessFigures>;
    for (const [rule, run] of Object.entries(figures)) (rules[rule] ??= { medianMs: 0, medianCpuMs: 0, runs: [] }).runs.push(run);
  }
  for (const figures of Object.values(rules)) {
    figures.medianMs = round1(median(figures.runs.map((run) => run.ms)));
    figures.medianCpuMs = round1(median(figures.runs.map((run) => run.cpuMs)));
  }
  return rules;
}

/**
 * `gradnet bench aggregate`: each rule with its default parameters on 16 updates of 1,000,000
 * parameters, per-update statistics included, in 7 fresh processes. In each, after a warm-up run,
 * 5 timed runs give that process's `ms` (their median) and `cpuMs` (the least process CPU time,
 * which other processes disturb less than the wall clock); `rules.<rule>.medianMs` is the median
 * over the processes, and `runs` lists every process's figures.
 */
export async function run(): Promise<Record<string, unknown>> {
  const loadBefore = loadavg()[0];
  const rules = await measureInFreshProcesses({ params: PARAMS, updates: UPDATES, repeats: REPEATS, processes: PROCESSES });
  return {
    suite: 'aggregate',
    params: PARAMS,
    updates: UPDATES,
    processes: PROCESSES,
    repeats: REPEATS,
    rules,
    loadAverage: { before: round1(loadBefore), after: round1(loadavg()[0]), cores: navigator.hardwareConcurrency },
  };
}
