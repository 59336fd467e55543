import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { checkCoordinatorSettings } from '../../coordinator/index.ts';
import { initialParams } from '../../core/ml/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';

const gradnet = fileURLToPath(new URL('../../bin/gradnet.js', import.meta.url));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [gradnet, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('gradnet genesis', () => {
  it("prints the genesis hash of the coordinator's default model and seed, so devnet -> coordinator needs no flag", () => {
    const defaults = checkCoordinatorSettings({});
    const expected = genesisCheckpoint(initialParams(defaults.model.name, defaults.modelSeed)).modelHash;
    const result = run(['genesis']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), expected);
  });

  it('computes the hash of another model and seed (--model, --seed), as JSON with --json', () => {
    const result = run(['genesis', '--model', 'cnn', '--seed', '3', '--json']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { model: 'cnn', seed: 3, dataset: 'mnist', genesisHash: genesisCheckpoint(initialParams('cnn', 3)).modelHash });
    assert.notEqual(JSON.parse(result.stdout).genesisHash, run(['genesis', '--model', 'cnn', '--model-seed', '4']).stdout.trim());
  });

  it('commits to the dataset (--dataset): the hash a coordinator with that dataset computes, not the MNIST one', () => {
    const result = run(['genesis', '--dataset', 'fashion-mnist']);
    assert.equal(result.status, 0, result.stderr);
    const defaults = checkCoordinatorSettings({ dataset: 'fashion-mnist' });
    const expected = genesisCheckpoint(initialParams({ ...defaults.model, dataset: defaults.dataset }, defaults.modelSeed)).modelHash;
    assert.equal(result.stdout.trim(), expected);
    assert.notEqual(expected, run(['genesis']).stdout.trim());
    assert.match(run(['genesis', '--dataset', 'svhn']).stderr, /fashion-mnist/, 'a wrong name lists the datasets');
  });
});
