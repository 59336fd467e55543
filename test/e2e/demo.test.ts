import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectGradnet, rewardVaultAbi, type GradnetChain } from '../../core/chain/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { runDemo, type DemoResult } from '../../cli/index.ts';
import type { Overview } from '../../explorer/index.ts';
import { freePort, ProcessGroup, waitFor } from '../../core/process/index.ts';

const logger = createLogger({ name: 'e2e', level: process.env.GRADNET_E2E_VERBOSE === '1' ? 'debug' : 'warn' });

/**
 * The README's demo, shortened to 2 rounds: a devnet this test owns (so the chain can be read
 * after the demo has stopped its own processes), 3 peers and the coordinator as processes. The
 * devnet deploys the default model's genesis with its short challenge window, so the demo
 * (--rpc, --deployments the devnet's address book) reuses its contracts.
 */
describe('gradnet demo end to end (3 peers, 2 rounds, loopback)', { timeout: 240_000 }, () => {
  const children = new ProcessGroup(logger);
  let result: DemoResult;
  let chain: GradnetChain;
  let devnetDir = '';
  let rpcUrl = '';
  let devnetBook = '';
  /** What the explorer the demo served (--explorer) answered while the demo ran. */
  let explorerOverview: Promise<Overview> | undefined;

  before(async () => {
    const port = await freePort();
    devnetDir = await mkdtemp(join(tmpdir(), 'gradnet-e2e-'));
    devnetBook = join(devnetDir, 'devnet.json');
    const devnet = children.start({ name: 'devnet', args: ['devnet', '--port', String(port), '--accounts', '4', '--deployments', devnetBook] });
    await waitFor('the devnet', () => (devnet.stdout().includes('press Ctrl-C') ? true : undefined), { timeoutMs: 120_000, child: devnet });
    rpcUrl = `http://127.0.0.1:${port}`;
    result = await runDemo({
      peers: 3, rounds: 2, model: 'mlp', rpcUrl, deploymentsFile: devnetBook, innerSteps: 100, learningRate: 0.003, codec: 'topk', topkFraction: 0.3,
      timeoutMs: 180_000, keep: true, explorerPort: 0, logger, signal: AbortSignal.timeout(220_000),
      say: (line) => {
        logger.info(line);
        const url = /explorer at (http:\S+\/):/.exec(line)?.[1];
        if (url !== undefined) explorerOverview = fetch(`${url}explorer/api/overview`).then((response) => response.json() as Promise<Overview>);
      },
    });
    chain = await connectGradnet({ rpcUrl, deploymentsFile: devnetBook });
  });

  after(async () => {
    await children.stopAll();
    if (result !== undefined) await rm(result.workDir, { recursive: true, force: true });
    if (devnetDir !== '') await rm(devnetDir, { recursive: true, force: true });
  });

  it('commits both rounds on chain, each building on the previous model, with all 3 peers contributing', async () => {
    assert.equal(await chain.ledger.roundCount(), 2);
    const onChain = await chain.ledger.listRounds();
    assert.deepEqual(result.rounds.map((row) => row.modelHash), onChain.map((round) => round.modelHash));
    assert.equal(onChain[0].parentHash, await chain.ledger.genesisModelHash());
    assert.equal(onChain[1].parentHash, onChain[0].modelHash);
    assert.equal(await chain.ledger.latestModelHash(), onChain[1].modelHash);
    for (const round of onChain) {
      assert.equal(round.contributors, 3);
      assert.ok(round.accuracy > 500_000, `round ${round.roundId} validation accuracy ${round.accuracy / 1e4}%`);
    }
    assert.ok(result.finalAccuracy > 0.85, `final test accuracy ${result.finalAccuracy}`);
  });

  it("ran on the devnet's own contracts, so gradnet rounds --rpc shows the demo's rounds afterwards", async () => {
    assert.equal(result.deploymentsFile, devnetBook);
    const gradnet = fileURLToPath(new URL('../../bin/gradnet.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [gradnet, 'rounds', '--json', '--rpc', rpcUrl, '--deployments', devnetBook], { timeout: 60_000 });
    const rows = JSON.parse(stdout) as { round: number; modelHash: string }[];
    assert.deepEqual(rows.map((row) => row.modelHash), result.rounds.map((row) => row.modelHash));
  });

  it('made rewards claimable and paid every owner through the vault', async () => {
    const owners = Object.keys(result.rewards) as `0x${string}`[];
    assert.equal(owners.length, 3);
    const paid = await chain.clients.publicClient.getContractEvents({ address: chain.vault.address, abi: rewardVaultAbi, eventName: 'RewardClaimed', fromBlock: 0n });
    for (const owner of owners) {
      const claimed = await chain.vault.claimed(owner);
      assert.ok(claimed.reward > 0n, `${owner} claimed nothing`);
      assert.equal(claimed.reward, result.rewards[owner]);
      assert.equal(claimed.rounds, 2n);
      assert.equal(await chain.token.balanceOf(owner) >= claimed.reward, true);
      assert.ok(paid.some((event) => event.args.owner === owner && event.args.payout === claimed.reward), `no RewardClaimed paying ${owner}`);
    }
  });

  it('served the network explorer beside the demo (--explorer) and printed its URL', async () => {
    assert.ok(explorerOverview, 'the demo printed no explorer URL');
    const overview = await explorerOverview;
    assert.equal(overview.network.chainId, chain.clients.chainId);
    assert.equal(overview.network.contracts.RoundLedger, chain.ledger.address);
    assert.equal(overview.network.nodes.registered, 3);
  });

  it('has every round replayed by the peers with a matching model hash', () => {
    assert.equal(result.audit, 'match');
    for (const round of [1, 2]) assert.ok(result.audits.some((audit) => audit.round === round && audit.verdict === 'match'), `round ${round} not audited`);
    assert.ok(!result.audits.some((audit) => audit.verdict === 'mismatch'));
  });
});
