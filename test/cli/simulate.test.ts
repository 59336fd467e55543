import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GRADNET_BIN, NODE22 } from '../../core/process/index.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function gradnet(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(NODE22, [GRADNET_BIN, ...args], { timeout: 300_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('gradnet simulate', { timeout: 600_000 }, () => {
  it('documents every flag with its default', async () => {
    const help = await gradnet(['simulate', '--help']);
    assert.equal(help.code, 0, help.stderr);
    const flags = ['--peers', '--malicious', '--attack', '--rule', '--shards', '--dataset', '--dataset-dir', '--model', '--rounds', '--inner-steps', '--codec', '--seed', '--json', '--png'];
    for (const flag of flags) assert.match(help.stdout, new RegExp(`${flag} <`), `${flag} is missing from --help`);
    for (const attack of ['labelflip', 'ipm', 'signflip', 'alie']) assert.ok(help.stdout.includes(`"${attack}"`), attack);
    assert.match(help.stdout, /dirichlet:ALPHA/);
    const defaults = ['(default: 10)', '(default: 3)', 'default: "labelflip"', '(default: "default")', '(default: "iid")', 'default: "mnist"', 'default: "mlp"', '(default: 8)', '(default: 20)', 'default: "topksign"', '(default: 11)'];
    for (const shown of defaults) assert.ok(help.stdout.replace(/\s+/g, ' ').includes(shown), `--help does not show ${shown}`);
  });

  it('refuses bad flags in one line that names the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['--shards', 'dirichlet:0'], /--shards .*neither iid nor dirichlet:ALPHA/],
      [['--shards', 'noniid'], /--shards .*neither iid nor dirichlet:ALPHA/],
      [['--attack', 'backdoor'], /--attack .*Allowed choices are .*labelflip/],
      [['--peers', 'ten'], /--peers .*not an integer/],
      [['--dataset', 'imagenet'], /--dataset .*Allowed choices/],
      [['--peers', '4', '--malicious', '4'], /--malicious 4 leaves no honest peer/],
      [['--rule', 'krum', '--rounds', '1'], /invalid aggregation rule "krum".*use one of mean, median/],
      [['--rule', '{"rule":', '--rounds', '1'], /--rule .* is not valid JSON/],
    ];
    for (const [args, message] of cases) {
      const run = await gradnet(['simulate', ...args]);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')} printed:\n${run.stderr}`);
      assert.match(lines[0], /^error: /);
      assert.match(lines[0], message);
    }
  });

  it('runs the attacked network and its clean twin, prints a row per round and writes the JSON and PNG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradnet-simulate-'));
    const json = join(dir, 'run.json');
    const run = await gradnet(['simulate', '--peers', '3', '--malicious', '1', '--attack', 'ipm', '--rule', 'median', '--shards', 'dirichlet:0.5', '--rounds', '2', '--inner-steps', '2', '--codec', 'fp32', '--json', json]);
    assert.equal(run.code, 0, run.stderr);
    const rows = run.stdout.split('\n').filter((line) => /^(ipm|clean)\s+\d/.test(line));
    assert.equal(rows.length, 4, run.stdout);
    const result = JSON.parse(readFileSync(json, 'utf8'));
    for (const key of ['accuracy', 'cleanAccuracy', 'attackerRewardShare', 'loss']) assert.equal(typeof result[key], 'number', key);
    assert.deepEqual(result.curve.map((point: { round: number }) => point.round), [1, 2]);
    for (const point of [...result.curve, ...result.cleanCurve]) assert.ok(point.accuracy >= 0 && point.accuracy <= 1 && point.loss > 0, JSON.stringify(point));
    assert.deepEqual([result.peers, result.malicious, result.attack, result.rule.rule, result.shards, result.dataset], [3, 1, 'ipm', 'median', 'dirichlet:0.5', 'mnist']);
    assert.ok(statSync(join(dir, 'run.png')).size > 1000);
  });
});
