import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { createLogger } from '../../core/log/index.ts';
import { waitFor } from '../../core/process/index.ts';
import { startExplorer, type ExplorerServer, type Overview } from '../../explorer/index.ts';
import { Topology } from '../support/topology.ts';
import { findChromium, launchChromium } from './browser.ts';

const logger = createLogger({ name: 'explorer-test', level: process.env.GRADNET_E2E_VERBOSE === '1' ? 'debug' : 'warn' });
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = new URL('../../docs/', import.meta.url);
const chromium = findChromium();

/** What a page element shows: its text, or one of its data attributes. */
async function shown(page: Page, testid: string, attribute?: string): Promise<string | null> {
  const element = page.locator(`[data-testid="${testid}"]`).first();
  if ((await element.count()) === 0) return null;
  return attribute === undefined ? element.textContent() : element.getAttribute(attribute);
}

/**
 * Waits until the page and the chain agree, both read again on each try (a round may commit
 * between the two reads); fails with the last pair seen.
 */
async function agree(what: string, fromPage: () => Promise<string | null>, fromChain: () => Promise<string>, timeoutMs = 10_000): Promise<string> {
  let last = { page: null as string | null, chain: '' };
  try {
    return await waitFor(what, async () => {
      const chain = await fromChain();
      last = { page: await fromPage(), chain };
      return last.page === chain && (await fromChain()) === chain ? chain : undefined;
    }, { timeoutMs, pollMs: 100 });
  } catch (error) {
    throw new Error(`${what}: the page shows ${last.page}, the chain says ${last.chain}`, { cause: error });
  }
}

/**
 * The explorer in a real browser (Debian's chromium driven by playwright-core) against the demo's
 * topology: a devnet, the coordinator and 3 training peers as processes. The page is the one the
 * coordinator serves at `/`; the standalone `gradnet explorer` server is checked against the same chain.
 */
describe('the network explorer in a browser', { skip: 'skip' in chromium ? chromium.skip : false, timeout: 420_000 }, () => {
  let topology: Topology;
  let browser: Browser;
  let page: Page;
  let standalone: ExplorerServer;

  before(async () => {
    topology = await Topology.start({ logger, innerSteps: 20 });
    await topology.waitForRounds(2, 120_000);
    browser = await launchChromium((chromium as { path: string }).path);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => logger.error({ err: error.message }, 'page error'));
    await page.goto(`${topology.api}/`);
    // The coordinator's explorer connects to the chain on this first request: slow on a loaded machine.
    await page.locator('tr[data-round]').first().waitFor({ timeout: 60_000 });
  });

  after(async () => {
    await standalone?.close();
    await browser?.close();
    await topology?.stop();
  });

  it('shows the round count and the newest model hash the ledger holds', async () => {
    await agree('round count', () => shown(page, 'round-count'), async () => String(await topology.chain.ledger.roundCount()));
    await agree('latest model hash', () => shown(page, 'latest-model-hash', 'data-value'), () => topology.chain.ledger.latestModelHash());
    const rows = await page.locator('tr[data-round]').count();
    assert.ok(rows >= 2, `${rows} rounds in the table`);
  });

  it('shows a new round without a reload when it commits', async () => {
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    const before = Number(await shown(page, 'round-count'));
    const committedAt = await waitFor(`round ${before + 1} committed`, async () => ((await topology.chain.ledger.roundCount()) > before ? performance.now() : undefined), { timeoutMs: 120_000, pollMs: 50 });
    await page.waitForFunction((count) => Number(document.querySelector('[data-testid="round-count"]')?.textContent) > count && document.querySelector(`tr[data-round="${count + 1}"]`) !== null, before, { timeout: 10_000 });
    const latencyMs = performance.now() - committedAt;
    assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'the page reloaded');
    logger.info({ latencyMs }, 'a new round reached the page');
    assert.ok(latencyMs < 5_000, `the round took ${latencyMs.toFixed(0)} ms to reach the page`);
    await mkdir(DOCS, { recursive: true });
    await page.screenshot({ path: fileURLToPath(new URL('explorer-rounds.png', DOCS)) });
  });

  it("shows a round's status (pending, final) and its updates: node, digest, norm, score, reward and whether each was selected", async () => {
    await page.goto(`${topology.api}/#/rounds/2`);
    const rows = page.locator('section[aria-labelledby="round-heading"] table').first().locator('tbody tr');
    await rows.first().waitFor({ timeout: 10_000 });
    assert.equal(await rows.count(), (await topology.chain.ledger.getRound(2)).contributors);
    assert.match((await rows.first().textContent()) ?? '', /selected|set aside/);
    await agree('round 2 model hash', () => shown(page, 'round-model-hash', 'data-value'), async () => (await topology.chain.ledger.getRound(2)).modelHash);
    await agree('round 2 status', () => page.locator('[data-testid="round-status"] .badge').textContent(), () => topology.chain.ledger.roundStatus(2));
    // The daemons audit every round and gossip a signed verdict; the coordinator records the
    // first of each node key, and the round's page lists them (reloaded until they are in).
    const model = (await topology.chain.ledger.getRound(2)).modelHash;
    const verdicts = page.locator('[data-testid="verdict"]');
    await waitFor('the peers\' verdicts on round 2', async () => {
      if ((await verdicts.count()) >= topology.peers.length) return true;
      await page.reload();
      await rows.first().waitFor({ timeout: 10_000 });
      return undefined;
    }, { timeoutMs: 120_000, pollMs: 1_000 });
    assert.equal(await verdicts.count(), topology.peers.length, 'one verdict per auditing peer');
    assert.deepEqual(await verdicts.evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-verdict'))), topology.peers.map(() => 'match'));
    assert.deepEqual(await verdicts.evaluateAll((cells) => [...new Set(cells.map((cell) => cell.getAttribute('data-model')?.toLowerCase()))]), [model.toLowerCase()]);
    await page.screenshot({ path: fileURLToPath(new URL('explorer-round.png', DOCS)), fullPage: true });
  });

  it("shows an owner's claimable amount exactly as `gradnet rewards --json` reports it", async () => {
    // No more rounds: the figure must not move between the CLI's reading and the page's.
    await Promise.all(topology.peers.map((peer) => (peer.daemon ? topology.stopProcess(peer.daemon) : undefined)));
    // A round the peers finished before they stopped may still be committing: wait for the next one to open.
    await waitFor('the coordinator to collect a round no peer answers', async () => ((await topology.apiGet<{ phase: string }>('/status'))?.phase === 'collecting' ? true : undefined), { timeoutMs: 60_000, pollMs: 200 });
    // The API offers the latest final round's proof: once the last commit is final, that stays put too.
    const last = await topology.chain.ledger.roundCount();
    await waitFor(`round ${last} to be final`, async () => ((await topology.chain.ledger.isFinal(last)) ? true : undefined), { timeoutMs: 60_000, pollMs: 500 });
    const owner = topology.peers[0].owner.address;
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GRADNET_')));
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/gradnet.js', 'rewards', '--json', '--owner', owner, '--rpc', topology.rpcUrl, '--deployments', topology.deploymentsFile, '--coordinator-url', topology.api], { cwd: ROOT, env });
    const cli = JSON.parse(stdout) as { claimable: string; cumulativeReward: string; asOfRound: number };
    assert.ok(BigInt(cli.claimable) > 0n, `owner ${owner} has nothing to claim`);
    await page.goto(`${topology.api}/#/owners/${owner}`);
    await page.locator('[data-testid="claimable"]').waitFor({ timeout: 10_000 });
    assert.equal(await shown(page, 'claimable', 'data-wei'), cli.claimable);
    // What it earned round by round adds up to its cumulative reward.
    const earnings = await page.locator('[data-testid="earning"]').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-wei') ?? '0'));
    assert.ok(earnings.length > 0, 'no earnings listed');
    assert.equal(earnings.reduce((sum, wei) => sum + BigInt(wei), 0n).toString(), cli.cumulativeReward);
    assert.match((await shown(page, 'claim-command')) ?? '', new RegExp(`^gradnet rewards --claim --owner ${owner} `));
  });

  it('reads and lays out on a 360 px wide screen, and is navigable with the keyboard', async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 } });
    try {
      await phone.goto(`${topology.api}/`);
      await phone.locator('tr[data-round]').first().waitFor({ timeout: 10_000 });
      assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth), 360, 'the page is wider than the screen');
      await phone.keyboard.press('Tab');
      assert.equal(await phone.evaluate(() => document.activeElement?.textContent), 'Skip to content');
      let focused = '';
      for (let i = 0; i < 6 && focused !== 'Nodes'; i++) {
        await phone.keyboard.press('Tab');
        focused = await phone.evaluate(() => document.activeElement?.textContent ?? '');
      }
      assert.equal(focused, 'Nodes', 'the Nodes link is not reachable by Tab');
      await phone.keyboard.press('Enter');
      await phone.locator('section[aria-labelledby="nodes-heading"] tbody tr').first().waitFor({ timeout: 10_000 });
      assert.equal(await phone.locator('section[aria-labelledby="nodes-heading"] tbody tr').count(), topology.peers.length);
    } finally {
      await phone.close();
    }
  });

  it('`gradnet explorer` (the standalone server) reads the same chain', async () => {
    standalone = await startExplorer({ rpcUrl: topology.rpcUrl, deploymentsFile: topology.deploymentsFile, coordinatorUrl: topology.api, host: '127.0.0.1', port: 0 });
    const overview = (await (await fetch(`${standalone.url}explorer/api/overview`)).json()) as Overview;
    assert.equal(overview.network.roundCount, await topology.chain.ledger.roundCount());
    assert.equal(overview.rounds[0].modelHash, await topology.chain.ledger.latestModelHash());
    assert.equal(overview.network.nodes.registered, topology.peers.length);
  });
});
