import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEther, type Address, type Hex } from 'viem';
import { NoAccountError, connectGradnet, devOnlyAccounts, type GradnetChain } from '../../core/chain/index.ts';
import type { Logger } from '../../core/log/index.ts';
import { evaluate, initBackend, initialParams, loadMnist, resolveModelSpec, type ModelName } from '../../core/ml/index.ts';
import { CheckpointStore, genesisCheckpoint, type CodecId } from '../../core/tensor/index.ts';
import { createKeystore, importKeystore } from '../../core/wallet/index.ts';
import { registerNode } from '../actions/register.ts';
import { fetchRewardStatement, waitUntilFinal } from '../support/rewards.ts';
import { fetchRoundRows, type RoundRow } from '../support/rounds.ts';
import { formatTokens } from '../support/table.ts';
import { childFields, freePort, ProcessGroup, waitFor, type ChildLogLine, type WaitOptions } from '../../core/process/index.ts';
import { startExplorer, type ExplorerServer } from '../../explorer/index.ts';
import { fromFixedPoint } from '../../core/units/index.ts';
import { prepareDemoChain } from './chain.ts';
import { busySecondsIn, coordinatorShareBetween, peerShareBetween, phaseLineOf, type BusyReading, type CoordinatorShare, type PeerShare, type PhaseLine } from './training-share.ts';

export interface DemoOptions {
  peers: number;
  rounds: number;
  model: ModelName;
  /** Use this chain instead of starting a devnet (it must be a dev chain, id 31337). */
  rpcUrl?: string;
  /**
   * With `rpcUrl`: the address book whose contracts the demo reuses when they fit, or where it
   * writes the ones it deploys; default deployments/<chainId>.json, which `gradnet rounds --rpc` reads.
   */
  deploymentsFile?: string;
  innerSteps: number;
  learningRate: number;
  codec: CodecId;
  /** Unset: the daemon's default. */
  topkFraction?: number;
  /** Give up after this long. */
  timeoutMs: number;
  /** Keep the work directory (keystores, checkpoints, databases) instead of deleting it. */
  keep: boolean;
  /** Serve the network explorer beside the demo on this port of 127.0.0.1 (0: any free one). */
  explorerPort?: number;
  logger: Logger;
  /** A line per round and the final report, for people (stdout in text mode). */
  say: (line: string) => void;
  signal: AbortSignal;
}

export interface DemoResult {
  rounds: RoundRow[];
  finalAccuracy: number;
  rewards: Record<Address, bigint>;
  audit: 'match' | 'mismatch';
  audits: { peer: string; round: number; verdict: string; reason: string }[];
  seconds: number;
  /**
   * Where the wall time went between the first and the last committed round of the demo: each
   * peer's phases (from its `phases` log lines) and the coordinator's busy share (from /metrics).
   */
  timeUse: { peers: PeerShare[]; coordinator: CoordinatorShare | undefined };
  workDir: string;
  /** The address book of the demo's contracts (in workDir when the demo ran its own devnet). */
  deploymentsFile: string;
}

const MODEL_SEED = 1;
/** What a failed wait tells the user who ran `gradnet demo`. */
const WAIT_HINT: Pick<WaitOptions, 'hint'> = { hint: "run with --verbose to see the children's logs" };
/** The dev chain's ETH each fresh node key gets for gas: far more than a few slashing proofs cost. */
const NODE_KEY_GAS = parseEther('1');

/** Sends NODE_KEY_GAS from the deployer to each node key (fresh keys hold no ETH). */
async function fundNodeKeysWithGas(chain: GradnetChain, nodeKeys: readonly Address[]): Promise<void> {
  const { walletClient, publicClient, account, receiptTimeoutMs } = chain.clients;
  if (walletClient === undefined || account === undefined) throw new NoAccountError('funding the node keys with gas');
  for (const to of nodeKeys) {
    const hash = await walletClient.sendTransaction({ account, chain: walletClient.chain, to, value: NODE_KEY_GAS });
    await publicClient.waitForTransactionReceipt({ hash, timeout: receiptTimeoutMs });
  }
}

/**
 * The whole network on one machine: a devnet (or the chain at `rpcUrl`), funded owners with
 * registered nodes, the coordinator and one daemon per peer as separate processes. Runs
 * `rounds` rounds, then claims every owner's rewards, evaluates the final model on the test
 * split and collects the peers' audit verdicts. Everything it started is stopped before it returns.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const { logger, say, signal } = options;
  const workDir = await mkdtemp(join(tmpdir(), 'gradnet-demo-'));
  const children = new ProcessGroup(logger);
  let explorer: ExplorerServer | undefined;
  const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)}s`;
  try {
    const spec = resolveModelSpec(options.model);
    const genesis = initialParams(spec, MODEL_SEED);
    const genesisHash = genesisCheckpoint(genesis).modelHash;
    const accounts = devOnlyAccounts(options.peers + 1);
    const [coordinatorAccount, ...ownerAccounts] = accounts;

    // 1. The chain.
    const { rpcUrl, deploymentsFile } = options.rpcUrl === undefined
      ? await startDevnetChild(children, { accounts: accounts.length, genesisHash, deploymentsFile: join(workDir, 'deployments.json'), signal })
      : await prepareDemoChain({ rpcUrl: options.rpcUrl, deployer: coordinatorAccount, genesisHash, deploymentsFile: options.deploymentsFile, log: (line) => say(`[${elapsed()}] ${line}`), signal });
    say(`[${elapsed()}] chain ready at ${rpcUrl} (addresses in ${deploymentsFile})`);

    // 2. Keystores: the DEV-ONLY owner accounts imported, a fresh node key per peer.
    const keystoreDir = join(workDir, 'keystores');
    const passwordFile = join(workDir, 'password');
    await writeFile(passwordFile, 'gradnet-demo\n', { mode: 0o600 });
    const peers = await Promise.all(ownerAccounts.map(async (account, index) => {
      const owner = await importKeystore({ dir: keystoreDir, role: 'owner', password: 'gradnet-demo', privateKey: account.privateKey, label: `owner-${index + 1}`, strength: 'light' });
      const node = await createKeystore({ dir: keystoreDir, role: 'node', password: 'gradnet-demo', label: `node-${index + 1}`, strength: 'light' });
      return { index, owner: owner.address, node: node.address, name: `peer-${index + 1}` };
    }));

    // 3. Stake and register every node.
    const chain = await connectGradnet({ rpcUrl, deploymentsFile, account: coordinatorAccount.privateKey, signal });
    const stake = await chain.registry.minStake();
    // A devnet funds its accounts; on another dev chain the deployer (a minter) tops the owners up.
    for (const peer of peers) {
      if ((await chain.token.balanceOf(peer.owner)) < stake) await chain.token.mint(peer.owner, stake, { signal });
    }
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GRADNET_')));
    await Promise.all(peers.map((peer) => registerNode({
      config: { rpcUrl, deployments: deploymentsFile, keystoreDir, passwordFile },
      stake,
      owner: peer.owner,
      node: peer.node,
      logger: logger.child({ peer: peer.name }),
      env,
      signal,
    })));
    say(`[${elapsed()}] registered ${peers.length} nodes with ${formatTokens(stake)} GRAD stake each`);
    // A node key pays the gas of the equivocation proofs its daemon sends (node/evidence-reporter.ts).
    await fundNodeKeysWithGas(chain, peers.map((peer) => peer.node));

    // 4. The coordinator.
    const coordinatorDir = join(workDir, 'coordinator');
    const coordinatorConfig = join(workDir, 'coordinator.json');
    await writeFile(coordinatorConfig, JSON.stringify({
      rpcUrl,
      deployments: deploymentsFile,
      dataDir: coordinatorDir,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      api: { host: '127.0.0.1', port: 0 },
      model: { name: options.model },
      modelSeed: MODEL_SEED,
      round: { quorum: options.peers, deadlineMs: 1000, maxWaitMs: 120_000 },
      nodes: { pollMs: 1000 },
      // The peers' local training, which bounds the samples an update may claim.
      training: { innerSteps: options.innerSteps },
    }, null, 2));
    let coordinatorReady: { api: string; addresses: string[]; peerId: string } | undefined;
    const coordinator = children.start({
      name: 'coordinator',
      args: ['coordinator', '--config', coordinatorConfig],
      env: { GRADNET_COORDINATOR_PRIVATE_KEY: coordinatorAccount.privateKey },
      onLog: (line) => {
        if (line.msg === 'coordinator running') coordinatorReady = { api: String(line.api), addresses: line.addresses as string[], peerId: String(line.peerId) };
        if ((line.level ?? 0) >= 50) logger.error({ child: 'coordinator', ...childFields(line) }, `[coordinator] ${line.msg}`);
      },
    });
    const ready = await waitFor('the coordinator to start', () => coordinatorReady, { timeoutMs: 90_000, child: coordinator, signal, ...WAIT_HINT });
    const bootstrap = ready.addresses.map((address) => (address.includes('/p2p/') ? address : `${address}/p2p/${ready.peerId}`));
    say(`[${elapsed()}] coordinator up: API ${ready.api}, libp2p ${bootstrap[0]}`);
    if (options.explorerPort !== undefined) {
      explorer = await startExplorer({ rpcUrl, deploymentsFile, coordinatorUrl: ready.api, host: '127.0.0.1', port: options.explorerPort, signal });
      say(`[${elapsed()}] explorer at ${explorer.url}: open it to watch the network train (it stops with the demo)`);
    }

    // 5. One daemon per peer.
    const audits: DemoResult['audits'] = [];
    const phaseLines = new Map<string, PhaseLine[]>(peers.map((peer) => [peer.name, []]));
    for (const peer of peers) {
      children.start({
        name: peer.name,
        args: [
          'daemon', '--rpc', rpcUrl, '--deployments', deploymentsFile, '--keystore-dir', keystoreDir, '--password-file', passwordFile,
          '--node', peer.node, '--data-dir', join(workDir, peer.name), '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', bootstrap.join(','), '--coordinator-url', ready.api,
          '--shard-index', String(peer.index), '--shard-count', String(options.peers), '--inner-steps', String(options.innerSteps),
          '--learning-rate', String(options.learningRate), '--codec', options.codec, '--heartbeat-seconds', '3',
          ...(options.topkFraction === undefined ? [] : ['--topk-fraction', String(options.topkFraction)]),
        ],
        env: { GRADNET_BACKEND: 'wasm' },
        onLog: (line: ChildLogLine) => {
          const phases = phaseLineOf(line);
          if (phases !== undefined) phaseLines.get(peer.name)?.push(phases);
          if (line.event === 'audit') audits.push({ peer: peer.name, round: Number(line.round), verdict: String(line.verdict), reason: String(line.reason) });
          if ((line.level ?? 0) >= 50) logger.error({ child: peer.name, ...childFields(line) }, `[${peer.name}] ${line.msg}`);
        },
      });
    }
    say(`[${elapsed()}] started ${peers.length} peer daemons; training ${options.rounds} rounds of ${spec.name}`);

    // 6. Follow the ledger: one line per committed round.
    const firstRound = (await chain.ledger.roundCount()) + 1;
    const lastRound = firstRound + options.rounds - 1;
    let shown = firstRound - 1;
    const busyReadings: BusyReading[] = [];
    const readBusy = async (): Promise<void> => {
      const atMs = performance.now();
      const response = await fetch(`${ready.api}/metrics`, { signal });
      busyReadings.push({ atMs, busySeconds: busySecondsIn(await response.text()) });
    };
    await waitFor(`round ${lastRound} to be committed`, async () => {
      const count = await chain.ledger.roundCount();
      while (shown < Math.min(count, lastRound)) {
        shown += 1;
        const round = await chain.ledger.getRound(shown);
        if (shown === firstRound || shown === lastRound) await readBusy();
        say(`[${elapsed()}] round ${shown - firstRound + 1}/${options.rounds} committed: accuracy ${(fromFixedPoint(round.accuracy) * 100).toFixed(2)}%, loss ${fromFixedPoint(round.loss).toFixed(4)}, ${round.contributors} contributors, ${round.totalSamples} samples, model ${round.modelHash.slice(0, 10)}…, block ${round.blockNumber}`);
      }
      return count >= lastRound ? count : undefined;
    }, { timeoutMs: options.timeoutMs, child: coordinator, signal, pollMs: 300, ...WAIT_HINT });

    // 7. Every peer audits every round it saw; wait for the verdicts on the demo's rounds.
    const auditedRounds = (): Set<number> => new Set(audits.filter((audit) => audit.verdict !== 'skipped').map((audit) => audit.round));
    await waitFor('the peers to audit the last round', () => {
      const done = auditedRounds();
      for (let round = firstRound; round <= lastRound; round++) if (!done.has(round)) return undefined;
      return true;
    }, { timeoutMs: 60_000, signal, ...WAIT_HINT }).catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'not every round was audited'));
    await Promise.all(children.running().filter((child) => child.name.startsWith('peer-')).map((child) => children.stop(child.pid)));
    const relevant = audits.filter((audit) => audit.round >= firstRound && audit.round <= lastRound);
    const everyRoundMatched = [...Array(options.rounds).keys()].every((offset) => relevant.some((audit) => audit.round === firstRound + offset && audit.verdict === 'match'));
    const audit = everyRoundMatched && !relevant.some((entry) => entry.verdict === 'mismatch') ? 'match' : 'mismatch';
    say(`[${elapsed()}] audit: ${audit} (${relevant.filter((entry) => entry.verdict === 'match').length} matching replays, ${relevant.filter((entry) => entry.verdict === 'mismatch').length} mismatches, ${relevant.filter((entry) => entry.verdict === 'skipped').length} skipped)`);

    // 8. Claim every owner's rewards, with proofs checked against the chain, once the demo's last
    // round is final (its challenge window over): the coordinator offers the latest final round's proof.
    await waitUntilFinal({ ledger: chain.ledger, publicClient: chain.clients.publicClient }, lastRound, { say: (line) => say(`[${elapsed()}] ${line}`), signal });
    const rewards: Record<Address, bigint> = {};
    const claims = await Promise.all(peers.map(async (peer) => {
      const ownerChain = await connectGradnet({ rpcUrl, deploymentsFile, account: ownerAccounts[peer.index].privateKey, signal });
      return { peer, ownerChain, statement: await fetchRewardStatement(ownerChain, ready.api, peer.owner, signal) };
    }));
    for (const { peer, ownerChain, statement } of claims) {
      if (statement.claimable > 0n) await ownerChain.vault.claim(statement.claim, { signal });
      rewards[peer.owner] = (await ownerChain.vault.claimed(peer.owner)).reward;
      say(`[${elapsed()}] ${peer.name} owner ${peer.owner} claimed ${formatTokens(rewards[peer.owner])} GRAD`);
    }

    // 9. The final model on the test split, loaded from the coordinator's store by its on-chain hash.
    const finalHash = await chain.ledger.latestModelHash();
    const finalModel = await new CheckpointStore(join(coordinatorDir, 'checkpoints')).get(finalHash);
    await initBackend('wasm');
    const mnist = await loadMnist({ signal });
    const evaluation = await evaluate({ spec: finalModel.meta.model, params: finalModel.params, data: mnist.test, signal });

    const rounds = (await fetchRoundRows(chain.ledger, chain.clients.publicClient)).filter((row) => row.round >= firstRound && row.round <= lastRound);
    if (options.rpcUrl !== undefined) say(`[${elapsed()}] the demo's rounds stay on ${rpcUrl}: gradnet rounds --rpc ${rpcUrl} --deployments ${deploymentsFile}`);
    const timeUse = {
      peers: peers.flatMap((peer) => peerShareBetween(peer.name, phaseLines.get(peer.name) ?? [], firstRound, lastRound) ?? []),
      coordinator: busyReadings.length === 2 ? coordinatorShareBetween(busyReadings[0], busyReadings[1]) : undefined,
    };
    const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
    say(`[${elapsed()}] from round 1 to ${options.rounds}: peers trained ${timeUse.peers.map((peer) => percent(peer.trainingShare)).join(', ') || 'n/a'} of the wall time, the coordinator was busy ${timeUse.coordinator === undefined ? 'n/a' : percent(timeUse.coordinator.busyShare)}`);
    return { rounds, finalAccuracy: evaluation.accuracy, rewards, audit, audits: relevant, seconds: (performance.now() - started) / 1000, timeUse, workDir, deploymentsFile };
  } finally {
    await explorer?.close();
    await children.stopAll();
    if (!options.keep) await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Starts `gradnet devnet` on a free port, with its address book in the demo's own directory (a
 * devnet the user runs keeps deployments/31337.json), and waits until it has deployed.
 */
async function startDevnetChild(children: ProcessGroup, options: { accounts: number; genesisHash: Hex; deploymentsFile: string; signal: AbortSignal }): Promise<{ rpcUrl: string; deploymentsFile: string }> {
  const port = await freePort();
  const devnet = children.start({
    name: 'devnet',
    args: ['devnet', '--port', String(port), '--accounts', String(options.accounts), '--genesis-hash', options.genesisHash, '--deployments', options.deploymentsFile],
  });
  await waitFor('the devnet to deploy the contracts', () => (devnet.stdout().includes('press Ctrl-C') ? true : undefined), { timeoutMs: 120_000, child: devnet, signal: options.signal, ...WAIT_HINT });
  return { rpcUrl: `http://127.0.0.1:${port}`, deploymentsFile: options.deploymentsFile };
}
