// Shared set-up of the coordinator tests: a real Hardhat devnet with gradnet deployed and
// nodes registered, real libp2p peers on loopback, real MNIST MLP training for the updates.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address, Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Coordinator } from '../../coordinator/index.ts';
import { connectGradnet, startDevnet, type Devnet, type GradnetChain } from '../../core/chain/index.ts';
import { initBackend, initialParams, loadMnist, shardFor, trainLocal, type Dataset, type MnistSplits } from '../../core/ml/index.ts';
import { createGradnetNode, type GradnetNode } from '../../core/p2p/index.ts';
import {
  createGossipValidator,
  gradnetDomain,
  nodeKeyAddress,
  signCommitment,
  signUpdate,
  updateDigest,
  type GradnetDomain,
  type SignedUpdate,
  type ValidationContext,
} from '../../core/protocol/index.ts';
import { quorumNeeded } from '../../core/round/index.ts';
import { encodeDelta, genesisCheckpoint } from '../../core/tensor/index.ts';

export const MODEL = { name: 'mlp' } as const;
export const MODEL_SEED = 1;
export const PEERS = 10;

export interface Owner {
  index: number;
  owner: Address;
  ownerKey: Hex;
  nodeKey: Address;
  nodePrivateKey: Hex;
  chain: GradnetChain;
}

export interface TestNetwork {
  devnet: Devnet;
  dir: string;
  coordinatorKey: Hex;
  owners: Owner[];
  domain: GradnetDomain;
  genesis: { hash: Hex; params: Float32Array };
  mnist: MnistSplits;
  stop(): Promise<void>;
}

let mnist: Promise<MnistSplits> | undefined;

/** MNIST and the tensor backend, loaded once per test process. */
export function sharedMnist(): Promise<MnistSplits> {
  mnist ??= initBackend().then(() => loadMnist());
  return mnist;
}

/**
 * A devnet on a free port with gradnet deployed (genesis = the seeded MLP), `owners` owner
 * wallets (DEV-ONLY accounts 1..n) each registering a fresh node key with the minimum stake.
 * Account 0 deploys and holds the coordinator role.
 */
export async function startTestNetwork(options: { owners: number }): Promise<TestNetwork> {
  const dir = mkdtempSync(join(tmpdir(), 'gradnet-coordinator-'));
  const initial = initialParams(MODEL, MODEL_SEED);
  const genesisHash = genesisCheckpoint(initial).modelHash;
  const devnet = await startDevnet({
    port: 0,
    accounts: options.owners + 1,
    deploy: { deploymentsFile: join(dir, 'deployments.json'), genesisModelHash: genesisHash },
  });
  const owners: Owner[] = [];
  try {
    for (let index = 0; index < options.owners; index += 1) {
      const account = devnet.accounts[index + 1];
      const chain = await connectGradnet({ rpcUrl: devnet.rpcUrl, account: account.privateKey, deployments: devnet.deployments });
      const nodePrivateKey = generatePrivateKey();
      const nodeKey = nodeKeyAddress(nodePrivateKey);
      await chain.registryClient.register(privateKeyToAccount(nodePrivateKey), await chain.registry.minStake());
      owners.push({ index, owner: account.address, ownerKey: account.privateKey, nodeKey, nodePrivateKey, chain });
    }
  } catch (error) {
    await devnet.stop();
    throw error;
  }
  return {
    devnet,
    dir,
    coordinatorKey: devnet.accounts[0].privateKey,
    owners,
    domain: gradnetDomain(devnet.chainId, devnet.deployments.contracts.RoundLedger.address),
    genesis: { hash: genesisHash, params: initial.params },
    mnist: await sharedMnist(),
    stop: () => devnet.stop(),
  };
}

export interface TestPeer {
  owner: Owner;
  node: GradnetNode;
  shard: Dataset;
}

/** A libp2p peer with `owner`'s node key, dialling `bootstrap`; it validates like any peer. */
export async function startPeer(network: TestNetwork, owner: Owner, bootstrap: string[], context: () => ValidationContext | undefined): Promise<TestPeer> {
  const validator = createGossipValidator({ domain: network.domain, directory: owner.chain.registry, context, isCoordinator: () => true });
  const node = createGradnetNode({
    privateKey: owner.nodePrivateKey,
    chainId: network.devnet.chainId,
    ledger: network.devnet.deployments.contracts.RoundLedger.address,
    validator,
    bootstrap,
    // Find a restarted coordinator quickly.
    redialIntervalMs: 500,
    // These peers start with the coordinator, in a network with nobody else to meet: a late
    // joiner's grace (up to 6 s before the first fetch) would only hold up the second round,
    // which opens about 3 s after they start and must commit within a test's short maxWaitMs.
    joinGraceMs: 0,
  });
  await node.start({ signal: AbortSignal.timeout(15_000) });
  const shard = shardFor({ data: network.mnist.train, seed: 7, peers: PEERS, index: owner.index, scheme: 'iid' });
  return { owner, node, shard };
}

/**
 * A peer for every owner, dialling `coordinator` and validating what it relays against the
 * round the coordinator collects, once each has a gossip mesh to publish into.
 */
export async function startPeersFor(network: TestNetwork, coordinator: Coordinator): Promise<TestPeer[]> {
  const context = (): ValidationContext | undefined => {
    const state = coordinator.roundState();
    return state.phase === 'collecting'
      ? { round: state.round, baseModelHash: state.baseHash, parameterCount: network.genesis.params.length, maxNorm: coordinator.config.maxUpdateNorm, commitsClosed: state.stage === 'reveal' }
      : undefined;
  };
  const peers: TestPeer[] = [];
  for (const owner of network.owners) peers.push(await startPeer(network, owner, coordinator.multiaddrs(), context));
  for (const peer of peers) await peer.node.waitForTopicPeers('update', 1, { signal: AbortSignal.timeout(15_000) });
  // Let gossipsub graft its mesh before the first publish.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return peers;
}

export type UpdateKind = 'honest' | 'zero' | 'signflip';

/**
 * A signed update of `kind` for `round` on `params` (the model with hash `baseHash`): honest =
 * a few Adam steps of real MNIST training on the peer's shard; zero and signflip are the free
 * rider and the attacker the scoring must not pay.
 */
export async function makeUpdate(
  network: TestNetwork,
  peer: TestPeer,
  options: { round: number; baseHash: Hex; params: Float32Array; kind?: UpdateKind; seed?: number },
): Promise<SignedUpdate> {
  const trained = await trainLocal({
    spec: MODEL,
    params: options.params,
    data: peer.shard,
    config: { innerSteps: 15, batchSize: 32, learningRate: 0.003, seed: options.seed ?? peer.owner.index },
  });
  const kind = options.kind ?? 'honest';
  const delta = kind === 'zero' ? new Float32Array(trained.delta.length) : kind === 'signflip' ? trained.delta.map((value) => -value) : trained.delta;
  const { payload } = encodeDelta('fp32', delta);
  return signUpdate({
    privateKey: peer.owner.nodePrivateKey,
    domain: network.domain,
    round: options.round,
    baseModelHash: options.baseHash,
    samples: trained.samples,
    trainLoss: trained.trainLoss,
    codec: 'fp32',
    payload,
  });
}

/** Gossips `peer`'s commitment to `update` (signed by its node key), as a daemon does before the update itself. */
export async function commitTo(network: TestNetwork, peer: TestPeer, update: SignedUpdate): Promise<void> {
  const commitment = await signCommitment({
    privateKey: peer.owner.nodePrivateKey,
    domain: network.domain,
    round: update.round,
    baseModelHash: update.baseModelHash,
    updateDigest: updateDigest(update, network.domain),
  });
  await peer.node.publishCommitment(commitment);
}

/** Resolves once the coordinator has opened the reveal of `round`. */
export function revealOpened(coordinator: Coordinator, round: number, timeoutMs = 30_000): Promise<true> {
  return until(() => {
    const state = coordinator.roundState();
    return state.phase === 'collecting' && state.round === round && state.stage === 'reveal';
  }, `the reveal of round ${round}`, timeoutMs);
}

/**
 * Contributes as daemons do: every peer beats, and once the coordinator counts them all (it then
 * waits for their commitments rather than revealing once the others have committed), commits to
 * its update, then once the coordinator reveals the round, gossips it.
 */
export async function contribute(network: TestNetwork, coordinator: Coordinator, contributions: readonly (readonly [TestPeer, SignedUpdate])[]): Promise<void> {
  for (const [peer, update] of contributions) {
    await peer.node.publishHeartbeat({ nodeKey: peer.owner.nodeKey, round: update.round, modelHash: update.baseModelHash, version: 'test', timestamp: Date.now() });
  }
  const everyone = Math.min(contributions.length, coordinator.config.round.quorum);
  await until(() => quorumNeeded(coordinator.roundState(), Date.now()) >= everyone, 'the coordinator to count every contributor');
  for (const [peer, update] of contributions) await commitTo(network, peer, update);
  await revealOpened(coordinator, contributions[0][1].round);
  for (const [peer, update] of contributions) await peer.node.publishUpdate(update);
}

/** Polls `condition` every 50 ms until it holds (or throws after `timeoutMs`). */
export async function until<T>(condition: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** GET a coordinator API path as JSON. */
export async function getJson<T = Record<string, unknown>>(apiUrl: string, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${apiUrl}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}
