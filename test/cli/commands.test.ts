import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../../cli/index.ts';
import { GRADNET_BIN, NODE22 } from '../../core/process/index.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `gradnet` entry point with a clean GRADNET_* environment and no stdin. */
function gradnet(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GRADNET_')));
  return new Promise((resolve) => {
    const child = execFile(NODE22, [GRADNET_BIN, ...args], { env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

describe('gradnet CLI', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradnet-cli-'));
  const keystoreDir = join(dir, 'keystores');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, 'correct horse\n');

  it('creates, lists and addresses keystores', async () => {
    const created = await gradnet(['wallet', 'new', '--role', 'owner', '--label', 'cold', '--light', '--keystore-dir', keystoreDir, '--password-file', passwordFile]);
    assert.equal(created.code, 0, created.stderr);
    const address = created.stdout.trim();
    assert.match(address, /^0x[0-9a-fA-F]{40}$/);
    const listed = await gradnet(['wallet', 'list', '--json', '--keystore-dir', keystoreDir]);
    assert.deepEqual(JSON.parse(listed.stdout).map((entry: { address: string; role: string; label: string }) => [entry.address, entry.role, entry.label]), [[address, 'owner', 'cold']]);
    const found = await gradnet(['wallet', 'address', '--role', 'owner', 'cold'], { GRADNET_KEYSTORE_DIR: keystoreDir });
    assert.equal(found.stdout.trim(), address);
  });

  it('fails in one line with what to do: no password, no keystore, bad settings, unreachable RPC', async () => {
    const cases: [string[], RegExp][] = [
      [['wallet', 'new', '--keystore-dir', keystoreDir], /--password-file FILE or set GRADNET_PASSWORD/],
      [['wallet', 'address', '--role', 'node', '--keystore-dir', keystoreDir], /no node keystore in .*gradnet wallet new --role node/],
      [['rounds', '--rpc', 'not-a-url'], /invalid setting "rpcUrl" = "not-a-url".*--rpc/],
      [['rounds', '--rpc', 'http://127.0.0.1:9'], /http:\/\/127\.0\.0\.1:9 did not answer/],
      [['daemon', '--inner-steps', 'many'], /invalid setting "innerSteps" = .*flag --inner-steps/],
    ];
    for (const [args, message] of cases) {
      const run = await gradnet(args);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')} printed:\n${run.stderr}`);
      assert.match(lines[0], /^error: /);
      assert.match(lines[0], message);
    }
  });

  it('prints --help for every command and subcommand, and rejects a bad argument in one line', async () => {
    const paths = (command: Command, prefix: string[]): string[][] => command.commands.flatMap((sub) => [[...prefix, sub.name()], ...paths(sub, [...prefix, sub.name()])]);
    for (const path of paths(buildProgram(), [])) {
      const run = await gradnet([...path, '--help']);
      assert.equal(run.code, 0, `${path.join(' ')} --help: ${run.stderr}`);
      assert.match(run.stdout, new RegExp(`^Usage: gradnet ${path.join(' ')} `), path.join(' '));
    }
    const bad = await gradnet(['rounds', '--last', '0']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'error: option \'--last <n>\' argument \'0\' is invalid. "0" is not a positive integer (see `gradnet rounds --help`)\n');
  });

  it('loads every command\'s implementation under bin/gradnet.js\'s TypeScript loader (types imported with `import type`)', async () => {
    const actions = fileURLToPath(new URL('../../cli/actions/', import.meta.url));
    const loader = new URL('../../bin/load-typescript.js', import.meta.url).href;
    const files = readdirSync(actions).filter((name) => name.endsWith('.ts')).map((name) => new URL(name, `file://${actions}`).href);
    const script = `const { loadTypeScript } = await import(${JSON.stringify(loader)}); await loadTypeScript(); for (const file of ${JSON.stringify(files)}) await import(file);`;
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(NODE22, ['--no-warnings', '--input-type=module', '-e', script], { timeout: 90_000 }, (error, _stdout, stderr) => resolve({ code: error ? 1 : 0, stderr }));
    });
    assert.equal(run.code, 0, `a command does not load without tsx; a type imported without \`import type\`? ${run.stderr}`);
  });
});
