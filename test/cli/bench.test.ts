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
    await assert.rejects(runBench('gas', { outDir: dir, model: 'cnn' }, suites), /--model applies to bench accuracy, compression, long only, not gas/);
  } finally {
    process.stdout.write = write;
    await rm(dir, { recursive: true, force: true });
  }
});

test('bench --dataset and --dataset-dir reach the training suites and are refused for the others', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gradnet-bench-dataset-'));
  const seen: BenchSuiteOptions[] = [];
  const suites: BenchSuites = {
    accuracy: async () => ({ run: async (options) => (seen.push(options), { suite: 'accuracy' }) }),
    gas: async () => ({ run: async () => ({ suite: 'gas' }) }),
  };
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const jsonFile = join(dir, 'accuracy-cifar10.json');
    await runBench('accuracy', { json: jsonFile, outDir: dir, model: 'mlp', dataset: 'cifar10', datasetDir: '/data/cifar' }, suites);
    assert.deepEqual(seen, [{ model: 'mlp', dataset: 'cifar10', datasetDir: '/data/cifar', jsonFile }]);
    await assert.rejects(runBench('gas', { outDir: dir, dataset: 'fashion-mnist' }, suites), /--dataset applies to bench accuracy, byzantine, compression, train only, not gas/);
    await assert.rejects(runBench('gas', { outDir: dir, datasetDir: '/data' }, suites), /--dataset-dir applies to bench/);
  } finally {
    process.stdout.write = write;
    await rm(dir, { recursive: true, force: true });
  }
});
