import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What a suite module exports: `run` returns the JSON figures; it may write a picture beside `jsonFile`. */
export interface BenchSuite {
  run(options: { jsonFile: string }): Promise<Record<string, unknown>>;
}

/** Suites load lazily so that `gradnet bench gas` does not pay for tfjs start-up, and so on. */
export const benchSuites: Record<string, () => Promise<BenchSuite>> = {
};

/** Runs a suite and writes its result atomically to `jsonFile`. */
export async function runBenchSuite(name: string, jsonFile: string): Promise<Record<string, unknown>> {
  const load = benchSuites[name];
  if (!load) throw new Error(`unknown bench suite "${name}"; known suites: ${Object.keys(benchSuites).join(', ')}`);
  await mkdir(dirname(jsonFile), { recursive: true });
  const result = await (await load()).run({ jsonFile });
  const partial = `${jsonFile}.partial`;
  await writeFile(partial, `${JSON.stringify(result, null, 2)}\n`);
  await rename(partial, jsonFile);
  return result;
}
