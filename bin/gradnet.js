#!/usr/bin/env node
// The gradnet command. Hardhat 3 and node:sqlite need Node >= 22; the project ships
// Node 22 as a devDependency, so an older `node` on PATH hands over to it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) relaunchUnderNode22();
else await runGradnet();

function relaunchUnderNode22() {
  const node22 = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
  if (!existsSync(node22)) {
    console.error(`gradnet needs Node >= 22 (this is ${process.version}); run \`npm install\` in the gradnet folder to get it.`);
    process.exit(1);
  }
  const child = spawn(node22, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Stopping this wrapper must stop the real process too, or a daemon is left orphaned.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
}

async function runGradnet() {
  // node:sqlite and type stripping still print an ExperimentalWarning on Node 22; every other warning is kept.
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = (warning, ...rest) => {
    const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
    if (type === 'ExperimentalWarning' && /SQLite|stripTypeScriptTypes|Type Stripping/.test(String(warning))) return;
    emitWarning(warning, ...rest);
  };
  // V8's compiled code for viem, ethers, tfjs and libp2p, kept between runs (Node checks it against the source).
  module.enableCompileCache?.();
  const { loadTypeScript } = await import('./load-typescript.js');
  await loadTypeScript();
  await import('../cli/main.ts');
}
