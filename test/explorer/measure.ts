// Measures the explorer against a devnet with 200 committed rounds: how long the first render of
// the rounds page takes, and how long a newly committed round takes to appear on it.
//   PATH=$PWD/node_modules/.bin:$PATH node --import tsx test/explorer/measure.ts [rounds] [samples]
// Rounds are committed straight through LedgerClient with the coordinator key (no training), so
// the chain holds as many RoundCommitted events as a long-running network would.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, toHex, type Hex } from 'viem';
import { connectGradnet, startDevnet, type GradnetChain } from '../../core/chain/index.ts';
import { startExplorer } from '../../explorer/index.ts';
import { findChromium, launchChromium } from './browser.ts';

const ROUNDS = Number(process.argv[2] ?? 200);
const SAMPLES = Number(process.argv[3] ?? 5);

/** Commits round `latest + 1` with made-up but plausible figures; returns when its receipt is in. */
async function commitNext(chain: GradnetChain, budget: bigint): Promise<number> {
  const round = (await chain.ledger.roundCount()) + 1;
  await chain.ledger.commitRound({
    roundId: round,
    modelHash: keccak256(toHex(`model ${round}`)),
    parentHash: (await chain.ledger.latestModelHash()) as Hex,
    updatesRoot: keccak256(toHex(`updates ${round}`)),
    rewardsRoot: keccak256(toHex(`rewards ${round}`)),
    contributors: 3,
    totalSamples: 19_200,
    loss: Math.round(2_300_000 / Math.sqrt(round)),
    accuracy: Math.min(990_000, 500_000 + round * 2_000),
    rewardBudget: budget,
  });
  return round;
}

const chromium = findChromium();
if ('skip' in chromium) throw new Error(chromium.skip);
const dir = await mkdtemp(join(tmpdir(), 'gradnet-explorer-measure-'));
const devnet = await startDevnet({ port: 0, accounts: 1, deploy: { deploymentsFile: join(dir, 'deployments.json') } });
try {
  const chain = await connectGradnet({ rpcUrl: devnet.rpcUrl, deploymentsFile: devnet.deploymentsFile, account: devnet.accounts[0].privateKey });
  const budget = (await chain.ledger.maxRewardBudget()) / 2n;
  const committing = performance.now();
  for (let i = 0; i < ROUNDS; i++) await commitNext(chain, budget);
  console.log(`committed ${ROUNDS} rounds in ${((performance.now() - committing) / 1000).toFixed(1)} s`);

  const explorer = await startExplorer({ rpcUrl: devnet.rpcUrl, deploymentsFile: devnet.deploymentsFile, host: '127.0.0.1', port: 0 });
  const browser = await launchChromium(chromium.path);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const firstRender = async (): Promise<{ wallMs: number; navigationMs: number }> => {
      await page.goto('about:blank');
      const started = performance.now();
      await page.goto(explorer.url, { waitUntil: 'commit' });
      await page.waitForFunction((rounds) => document.querySelector('[data-testid="round-count"]')?.textContent === String(rounds) && document.querySelectorAll('tbody tr[data-round]').length === rounds, ROUNDS, { polling: 'raf' });
      const wallMs = performance.now() - started;
      // From the browser's navigation start to the page's mark once the full table was rendered.
      const navigationMs = await page.evaluate(() => performance.getEntriesByName('explorer:first-render')[0]?.startTime ?? Number.NaN);
      return { wallMs, navigationMs };
    };
    const cold = await firstRender();
    const warm = [];
    for (let i = 0; i < SAMPLES; i++) warm.push(await firstRender());
    const latencies: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const round = await commitNext(chain, budget);
      const committed = performance.now();
      await page.waitForFunction((expected) => document.querySelector('[data-testid="round-count"]')?.textContent === String(expected) && document.querySelector(`tr[data-round="${expected}"]`) !== null, round, { polling: 'raf', timeout: 10_000 });
      latencies.push(performance.now() - committed);
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const result = {
      rounds: ROUNDS,
      firstRenderColdMs: Math.round(cold.wallMs),
      firstRenderColdNavigationMs: Math.round(cold.navigationMs),
      firstRenderWarmMedianMs: Math.round(median(warm.map((sample) => sample.wallMs))),
      firstRenderWarmNavigationMedianMs: Math.round(median(warm.map((sample) => sample.navigationMs))),
      firstRenderWarmMaxMs: Math.round(Math.max(...warm.map((sample) => sample.wallMs))),
      commitToScreenMedianMs: Math.round(median(latencies)),
      commitToScreenMaxMs: Math.round(Math.max(...latencies)),
      commitToScreenMs: latencies.map(Math.round),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
    await explorer.close();
  }
} finally {
  await devnet.stop();
  await rm(dir, { recursive: true, force: true });
}
