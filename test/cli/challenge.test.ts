import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, toHex, zeroHash, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { connectGradnet, startDevnet, type Devnet, type GradnetChain, type RoundRecord } from '../../core/chain/index.ts';
import { GRADNET_BIN, NODE22 } from '../../core/process/index.ts';
import { gradnetDomain, signVerdict, type SignedVerdict } from '../../core/protocol/index.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `gradnet challenge` against an in-process devnet: three registered nodes, a round committed by
 * the coordinator's key, verdicts signed by the node keys and written to files as an operator
 * would gather them. Each refusal is one line saying what to do; the challenge itself voids the
 * round and slashes the bond.
 */
describe('gradnet challenge (devnet)', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradnet-challenge-'));
  const nodeKeys = [generatePrivateKey(), generatePrivateKey(), generatePrivateKey()];
  let devnet: Devnet;
  let coordinator: GradnetChain;
  let challengerKey: Hex;

  /** Runs the real `gradnet challenge` on the devnet, as the owner `challengerKey` (a raw key: dev chain). */
  function challenge(args: string[], rpc?: string): Promise<Run> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GRADNET_')));
    const env = { ...base, GRADNET_OWNER_PRIVATE_KEY: challengerKey, GRADNET_KEYSTORE_DIR: join(dir, 'keys'), GRADNET_LOG_LEVEL: 'silent' };
    return new Promise((resolve) => {
      const child = execFile(NODE22, [GRADNET_BIN, 'challenge', ...args, '--rpc', rpc ?? devnet.rpcUrl, '--deployments', devnet.deploymentsFile], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
      child.stdin?.end();
    });
  }

  /** One line on stderr, `error: …` matching `message`, exit 1. */
  function assertRefused(run: Run, message: RegExp): void {
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^error: /);
    assert.match(lines[0], message);
  }

  /** Commits the next round with a made-up model as the coordinator's key; returns its record. */
  async function commitNext(): Promise<RoundRecord> {
    const roundId = (await coordinator.ledger.roundCount()) + 1;
    const record: RoundRecord = {
      roundId, modelHash: keccak256(toHex(`model ${roundId} ${Date.now()}`)), parentHash: await coordinator.ledger.latestModelHash(), updatesRoot: zeroHash,
      rewardsRoot: zeroHash, contributors: 3, totalSamples: 300, loss: 500_000, accuracy: 900_000, rewardBudget: 10n ** 18n,
    };
    await coordinator.ledger.commitRound(record);
    return record;
  }

  /** The verdicts of node keys `which` against `record`, in a file. */
  async function verdictFile(name: string, record: RoundRecord, which: number[]): Promise<string> {
    const domain = gradnetDomain(devnet.chainId, devnet.deployments.contracts.RoundLedger.address);
    const verdicts: SignedVerdict[] = await Promise.all(
      which.map((index) => signVerdict({ round: record.roundId, modelHash: record.modelHash, rewardsRoot: record.rewardsRoot, verdict: 'mismatch', privateKey: nodeKeys[index], domain })),
    );
    const file = join(dir, name);
    writeFileSync(file, verdicts.map((verdict) => JSON.stringify(verdict)).join('\n'));
    return file;
  }

  before(async () => {
    // A window long enough that a slow machine's CLI runs cannot outlast it; the final-round case moves the clock on.
    devnet = await startDevnet({ port: 0, accounts: 5, deploy: { deploymentsFile: join(dir, 'devnet.json'), challengeWindowSeconds: 600 } });
    coordinator = await connectGradnet({ rpcUrl: devnet.rpcUrl, deployments: devnet.deployments, account: devnet.accounts[0].privateKey });
    for (const [index, nodeKey] of nodeKeys.entries()) {
      const owner = await connectGradnet({ rpcUrl: devnet.rpcUrl, deployments: devnet.deployments, account: devnet.accounts[index + 1].privateKey });
      await owner.registryClient.register(privateKeyToAccount(nodeKey), await owner.registry.minStake());
    }
    challengerKey = devnet.accounts[4].privateKey;
  });

  after(async () => {
    await devnet?.stop();
  });

  it('refuses an unknown round, too little stake against it, and a dead RPC, in one line each', async () => {
    const round = await commitNext();
    const one = await verdictFile('one.jsonl', round, [0]);
    assertRefused(await challenge(['5', '--verdicts', one]), /round 5 is not committed: the ledger has rounds 1 to 1/);
    assertRefused(await challenge(['1', '--verdicts', one]), /1 verdicts against round 1 hold 100 of 300 GRAD active stake; 33\.34% \(100\.02 GRAD\) is needed: not enough/);
    assertRefused(await challenge(['1', '--verdicts', one], 'http://127.0.0.1:9'), /http:\/\/127\.0\.0\.1:9 did not answer/);
    assertRefused(await challenge(['1', '--verdicts', join(dir, 'missing.json')]), /cannot read verdicts from .*missing\.json/);
  });

  it('voids the round with enough stake against it, slashes the bond (a share to the challenger), then refuses it as voided', async () => {
    const round = await coordinator.ledger.getRound(1);
    const two = await verdictFile('two.jsonl', round, [0, 2]);
    const checked = await challenge(['1', '--verdicts', two, '--dry-run']);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /2 verdicts against round 1 hold 200 of 300 GRAD .*enough; run without --dry-run/);

    const bond = await coordinator.challenges.bondOf(devnet.accounts[0].address);
    const before = await coordinator.token.balanceOf(privateKeyToAccount(challengerKey).address);
    const run = await challenge(['1', '--verdicts', two, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as Record<string, string | number>;
    const share = (bond * BigInt(await coordinator.challenges.challengerShareBps())) / 10_000n;
    assert.deepEqual([result.round, result.throughRound, result.verdicts, result.bondSlashed, result.challengerShare], [1, 1, 2, bond.toString(), share.toString()]);
    assert.equal(await coordinator.ledger.roundCount(), 0);
    assert.equal(await coordinator.token.balanceOf(privateKeyToAccount(challengerKey).address), before + share);

    assertRefused(await challenge(['1', '--verdicts', two]), /round 1 was voided already .* nothing to challenge/);
  });

  it('refuses a final round: its challenge window is over', async () => {
    const round = await commitNext();
    const two = await verdictFile('final.jsonl', round, [0, 1]);
    const window = await coordinator.ledger.challengeWindow();
    await coordinator.clients.publicClient.request({ method: 'evm_increaseTime' as never, params: [window + 1] as never });
    await coordinator.clients.publicClient.request({ method: 'evm_mine' as never, params: [] as never });
    assertRefused(await challenge([String(round.roundId), '--verdicts', two]), new RegExp(`round ${round.roundId} is final since .* \\(its ${window} s challenge window is over\\): it can no longer be challenged`));
  });
});
