import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSuiteOptions, BenchSuites } from '../../bench/index.ts';
import { runBench } from '../../cli/actions/bench.ts';

test('bench --model reaches the compression suite and is refused for any other suite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gradnet-bench-model-'));
  const seen: BenchSuiteOptions[] = [];
  const suites: BenchSuites = {
    compression: async () => ({ run: async (options) => (seen.push(options), { suite: 'compression', model: options.model }) }),
    gas: async () => ({ run: async () => ({ suite: 'gas' }) }),
  };
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const jsonFile = join(dir, 'compression-cnn.json');
    await runBench('compression', { json: jsonFile, outDir: dir, model: 'cnn' }, suites);
    assert.deepEqual(seen, [{ model: 'cnn', jsonFile }]);
    assert.equal(JSON.parse(await readFile(jsonFile, 'utf8')).model, 'cnn');
    await assert.rejects(runBench('gas', { outDir: dir, model: 'cnn' }, suites), /--model applies to bench compression only/);
  } finally {
    process.stdout.write = write;
    await rm(dir, { recursive: true, force: true });
  }
});
