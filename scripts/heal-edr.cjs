/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: an npm postinstall that must run under any Node version */
// npm running under Node 20 skips the EDR native binary that Hardhat 3 needs.
// Once node@22 is in node_modules/.bin, reinstalling under it restores the binary.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

function edrLoads() {
  try {
    require('@nomicfoundation/edr');
    return true;
  } catch {
    return false;
  }
}

if (process.env.GRADNET_HEALING === '1' || edrLoads()) process.exit(0);

const node22 = path.join(__dirname, '..', 'node_modules', '.bin', 'node');
if (!fs.existsSync(node22)) {
  console.error('gradnet postinstall: node_modules/.bin/node (Node 22) is missing; run `npm install` again.');
  process.exit(0);
}
console.error('gradnet postinstall: the EDR native binary is missing (npm ran under Node < 22); reinstalling under Node 22…');
const npmCli = process.env.npm_execpath;
execFileSync(node22, [npmCli, 'install', '--ignore-scripts', '--no-audit', '--no-fund'], {
  stdio: 'inherit',
  env: { ...process.env, GRADNET_HEALING: '1' },
});
