// bench: the benchmark suites (bench/suites/<suite>.ts, each `run({ jsonFile })` returning its
// figures), the runner that writes their JSON, the charts (bench/plot) and the training simulator
// (bench/sim). `gradnet bench` (cli/) is how they run. bench may import core/ doors only; it never
// imports cli/, which adds its own `demo` suite to the map it passes in.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GradnetError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/files/index.ts';
import type { BenchSuiteOptions } from './options.ts';

/** A benchmark was asked for that does not exist. */
export class BenchError extends GradnetError {}

export type { BenchSuiteOptions };

/** What a suite module exports: `run` returns the JSON figures; it may write a picture beside `jsonFile`. */
export interface BenchSuite {
  run(options: BenchSuiteOptions): Promise<Record<string, unknown>>;
}

/** Suites by name, each loaded only when it runs, so that `gradnet bench gas` does not pay for tfjs start-up, and so on. */
export type BenchSuites = Record<string, () => Promise<BenchSuite>>;

/** bench/'s own suites. The CLI adds `demo`, which runs the CLI's demo (bench/ does not import the CLI). */
export const benchSuites: BenchSuites = {
  aggregate: () => import('./suites/aggregate.ts'),
  codec: () => import('./suites/codec.ts'),
  gas: () => import('./suites/gas.ts'),
  gossip: () => import('./suites/gossip.ts'),
  // The training suites last: they take minutes, the others seconds.
  accuracy: () => import('./suites/accuracy.ts'),
  byzantine: () => import('./suites/byzantine.ts'),
  compression: () => import('./suites/compression.ts'),
  train: () => import('./suites/train.ts'),
  // 200 rounds of 3 peers: half an hour on an idle machine.
  long: () => import('./suites/long.ts'),
  // Processes under faults for minutes: last of all.
  chaos: () => import('./suites/chaos.ts'),
  // Hosts as network namespaces (root): the mesh's round time, bytes and audits.
  network: () => import('./suites/network.ts'),
};

/** Runs a suite and writes its result atomically to `jsonFile`. */
export async function runBenchSuite(
  name: string,
  jsonFile: string,
  suites: BenchSuites = benchSuites,
  options: Omit<BenchSuiteOptions, 'jsonFile'> = {},
): Promise<Record<string, unknown>> {
  const load = suites[name];
  if (!load) throw new BenchError('UNKNOWN_SUITE', `unknown bench suite "${name}"; known suites: ${Object.keys(suites).join(', ')}`, { value: name });
  await mkdir(dirname(jsonFile), { recursive: true });
  const result = await (await load()).run({ ...options, jsonFile });
  await writeFileAtomic(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** How one suite of `gradnet bench all` went. */
export interface SuiteOutcome {
  ok: boolean;
  seconds: number;
  jsonFile: string;
  error?: string;
}

/**
 * `gradnet bench all` (what `npm run bench` calls): every registered suite in turn, each writing
 * `<dir>/<suite>.json` (and its PNG where it draws one). A failing suite is reported and the rest
 * still run; the wall-clock time of each goes to `<dir>/timings.json` for the README.
 */
export async function runAllBenchSuites(
  dir = 'bench/results',
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  suites: BenchSuites = benchSuites,
): Promise<Record<string, SuiteOutcome>> {
  const outcomes: Record<string, SuiteOutcome> = {};
  for (const name of Object.keys(suites)) {
    const jsonFile = join(dir, `${name}.json`);
    log(`bench ${name} -> ${jsonFile}`);
    const started = performance.now();
    try {
      await runBenchSuite(name, jsonFile, suites);
      outcomes[name] = { ok: true, seconds: elapsedSeconds(started), jsonFile };
    } catch (error) {
      outcomes[name] = { ok: false, seconds: elapsedSeconds(started), jsonFile, error: error instanceof Error ? error.message : String(error) };
    }
    log(`bench ${name}: ${outcomes[name].ok ? 'done' : `FAILED (${outcomes[name].error})`} in ${outcomes[name].seconds} s`);
  }
  await writeFileAtomic(join(dir, 'timings.json'), `${JSON.stringify(outcomes, null, 2)}\n`);
  return outcomes;
}

function elapsedSeconds(started: number): number {
  return Math.round((performance.now() - started) / 100) / 10;
}

export { attackNames, type AttackName } from './sim/attack-names.ts';
export { parseShardLayout, type ShardLayout } from './sim/shards.ts';
/** The in-process simulator `gradnet simulate` drives, loaded only when it runs (it brings tfjs). */
export const loadSimulator = (): Promise<typeof import('./sim/index.ts')> => import('./sim/index.ts');
