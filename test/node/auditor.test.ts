import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, toHex, zeroHash, type Address, type Hex } from 'viem';
import { checkpointAggregation, checkpointScoring, parseRoundAggregation, SCHEDULE_DEFAULTS } from '../../core/audit/index.ts';
import type { CommittedRound } from '../../core/chain/index.ts';
import { silentLogger, type StructuredLogger } from '../../core/log/index.ts';
import { currentBackend, evaluate, initBackend, initialParams, resolveModelSpec, type Dataset } from '../../core/ml/index.ts';
import { accumulateRewards, rewardsRoot } from '../../core/rewards/index.ts';
import { encodeUpdate, signUpdate, updateDigest, type SignedUpdate, type VerdictFields } from '../../core/protocol/index.ts';
import { CheckpointStore, createCheckpoint, encodeCheckpoint, encodeDelta, genesisCheckpoint, type Checkpoint } from '../../core/tensor/index.ts';
import type { Clock } from '../../core/time/index.ts';
import { produceRound, type ProducedRound } from '../../coordinator/round-work.ts';
import { CoordinatorStore } from '../../coordinator/store.ts';
import { LedgerAuditor, type AuditChain, type AuditResult, type AuditScorer, type RewardHistory } from '../../node/auditor.ts';
import { UpdateArchive, type UpdateExchange } from '../../node/update-archive.ts';
import { DOMAIN, newNodeKey } from '../core/protocol/fixtures.ts';

const spec = resolveModelSpec({ name: 'mlp', hidden: 4 });
const nodes = [newNodeKey(), newNodeKey(), newNodeKey()];
const owners: Address[] = nodes.map((_, index) => `0x${String(index + 1).repeat(40)}` as Address);
const ownerOf = new Map<string, Address>(nodes.map((node, index) => [node.address.toLowerCase(), owners[index]]));

/** 64 synthetic validation examples: the scoring batch is their first 32. */
const validation: Dataset = {
  images: Uint8Array.from({ length: 64 * 784 }, (_, i) => (i * 7919) % 256),
  labels: Uint8Array.from({ length: 64 }, (_, i) => (i * 3) % 10),
  size: 64,
};

/** Peers holding updates, as the blob exchange reaches them; `served` is what they hold. */
class FakePeers implements UpdateExchange {
  readonly served = new Map<string, Uint8Array>();
  readonly mine = new Map<string, Uint8Array>();
  putBlob(bytes: Uint8Array, hash: Hex): Hex {
    this.mine.set(hash.toLowerCase(), bytes);
    return hash;
  }
  async fetchBlob(hash: Hex, options: { verify?: (bytes: Uint8Array) => boolean }): Promise<Uint8Array> {
    const bytes = this.served.get(hash.toLowerCase());
    if (bytes === undefined || (options.verify && !options.verify(bytes))) throw new Error(`no peer served ${hash}`);
    return bytes;
  }
}

/** Time that passes only when the auditor sleeps, so waiting out a deadline takes no real time. */
class FakeClock implements Clock {
  constructor(public time: number) {}
  now = (): number => this.time;
  sleep = async (ms: number): Promise<void> => {
    this.time += Math.max(ms, 1);
    await new Promise((resolve) => setImmediate(resolve));
  };
}

let dir: string;
let genesis: Checkpoint;
let produced: ProducedRound;
let updates: { update: SignedUpdate; digest: Hex }[];
/** Round 2, produced on round 1's model after round 1 was committed. */
let second: ProducedRound;
let secondUpdates: { update: SignedUpdate; digest: Hex }[];
let checkpoints: CheckpointStore;
const scorer: AuditScorer = { validation };

before(async () => {
  await initBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'gradnet-auditor-'));
  genesis = genesisCheckpoint(initialParams(spec, 7));
  checkpoints = new CheckpointStore(join(dir, 'checkpoints'));
  await checkpoints.putBytes(genesis.modelHash, encodeCheckpoint(genesis));
  // The coordinator's own production of rounds 1 and 2, exactly as it commits them.
  const store = CoordinatorStore.open(join(dir, 'coordinator.db'));
  const produce = async (round: number, base: Checkpoint): Promise<[ProducedRound, { update: SignedUpdate; digest: Hex }[]]> => {
    const signed: { update: SignedUpdate; digest: Hex }[] = [];
    for (const [index, node] of nodes.entries()) {
      const delta = Float32Array.from({ length: base.params.length }, (_, k) => Math.sin(k * (index + 2 + round) * 0.37) * 0.05);
      const update = await signUpdate({ privateKey: node.privateKey, domain: DOMAIN, round, baseModelHash: base.modelHash, samples: 640 + index, trainLoss: 0.5, codec: 'fp32', payload: encodeDelta('fp32', delta).payload });
      signed.push({ update, digest: updateDigest(update, DOMAIN) });
    }
    store.openRound(round, base.modelHash, round);
    for (const [index, { update, digest }] of signed.entries()) {
      const message = encodeUpdate(update, { inline: true });
      store.insertUpdate({
        round, nodeKey: update.nodeKey, digest, verdict: 'accepted', reason: null, baseHash: base.modelHash, samples: update.samples, trainLoss: 0.5,
        codec: 'fp32', signature: update.signature, message, bytes: message.byteLength, receivedMs: 10 + index, peerId: null,
      });
    }
    const result = await produceRound({
      round,
      baseHash: base.modelHash,
      digests: signed.map((entry) => entry.digest),
      store,
      checkpoints,
      settings: { spec, aggregation: parseRoundAggregation({}), validation, validationLimit: 64, scoreBatch: 32, budgetPerRound: 10n ** 18n, capPerNode: 0.5 },
      ownerOf: async (nodeKey) => ownerOf.get(nodeKey.toLowerCase()) ?? null,
      now: () => round,
    });
    store.markCommitting(round);
    store.markCommitted(round, null, round);
    return [result, signed];
  };
  [produced, updates] = await produce(1, genesis);
  [second, secondUpdates] = await produce(2, produced.checkpoint);
  store.close();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Harness {
  auditor: LedgerAuditor;
  peers: FakePeers;
  archive: UpdateArchive;
  published: VerdictFields[];
  results: AuditResult[];
  next: () => Promise<AuditResult>;
  lifetime: AbortController;
}

function committedOf(round: number, result: ProducedRound, parent: Checkpoint): CommittedRound {
  return {
    roundId: round, modelHash: result.result.modelHash, parentHash: parent.modelHash, updatesRoot: result.result.updatesRoot, rewardsRoot: result.result.rewardsRoot,
    contributors: 3, totalSamples: 1923, loss: 0, accuracy: 0, rewardBudget: result.result.rewardBudget, blockNumber: 5n, committedAt: 1000, transactionHash: zeroHash,
  };
}

function harness(
  options: {
    committed?: Partial<CommittedRound>;
    served?: Checkpoint[];
    held?: Checkpoint[];
    scorer?: AuditScorer;
    clock?: Clock;
    history?: RewardHistory;
    chainTime?: number;
    logger?: StructuredLogger;
    onGetRound?: (round: number) => void;
  } = {},
): Harness {
  const committed: CommittedRound = { ...committedOf(1, produced, genesis), ...options.committed };
  const rounds = [{ ...committed, roundId: 0, modelHash: genesis.modelHash, rewardsRoot: zeroHash }, committed, committedOf(2, second, produced.checkpoint)];
  const chain: AuditChain = {
    getRound: async (round) => {
      options.onGetRound?.(round);
      return rounds[round];
    },
    challengeWindow: async () => 10,
    chainTime: async () => options.chainTime ?? 1000,
    ownerOf: async (nodeKey) => ownerOf.get(nodeKey.toLowerCase()),
  };
  const served = new Map((options.served ?? [produced.checkpoint, second.checkpoint]).map((checkpoint) => [checkpoint.modelHash.toLowerCase(), checkpoint]));
  const held = new Map((options.held ?? [genesis]).map((checkpoint) => [checkpoint.modelHash.toLowerCase(), checkpoint]));
  const peers = new FakePeers();
  const archive = new UpdateArchive({ exchange: peers, domain: DOMAIN });
  const published: VerdictFields[] = [];
  const results: AuditResult[] = [];
  const waiting: ((result: AuditResult) => void)[] = [];
  const lifetime = new AbortController();
  const auditor = new LedgerAuditor({
    logger: options.logger ?? silentLogger,
    chain,
    models: {
      checkpoint: async (hash) => {
        const checkpoint = served.get(hash.toLowerCase());
        if (!checkpoint) throw new Error(`no peer serves ${hash}`);
        return checkpoint;
      },
      held: async (hash) => held.get(hash.toLowerCase()),
    },
    archive,
    scorer: 'scorer' in options ? options.scorer : scorer,
    history: options.history,
    publish: async (fields) => {
      published.push(fields);
    },
    clock: options.clock ?? new FakeClock(1_000_000),
    lifetime: lifetime.signal,
    retry: { baseMs: 100, maxMs: 400 },
    onAudit: (result) => {
      results.push(result);
      waiting.shift()?.(result);
    },
  });
  const next = (): Promise<AuditResult> => new Promise((resolve) => waiting.push(resolve));
  return { auditor, peers, archive, published, results, next, lifetime };
}

function holdAll(archive: UpdateArchive, which = updates): void {
  for (const { update, digest } of which) archive.keep(update, digest);
}

describe('LedgerAuditor', () => {
  it('recomputes the coordinator\'s model hash AND rewards root of a real round: match, signed and gossiped', async () => {
    const { auditor, archive, published, results, peers } = harness({ clock: new FakeClock(1_000_000) });
    holdAll(archive);
    await auditor.audit(1);
    assert.equal(results.length, 1, 'judged before audit() returns when every input is at hand');
    const [result] = results;
    assert.equal(result.verdict, 'match', result.reason);
    assert.equal(result.computedModelHash, produced.result.modelHash);
    assert.equal(result.computedRewardsRoot, produced.result.rewardsRoot);
    assert.deepEqual(published, [{ round: 1, modelHash: produced.result.modelHash, rewardsRoot: produced.result.rewardsRoot, verdict: 'match' }]);
    assert.ok(produced.rewards.some((row) => row.amount > 0n), 'the round pays someone');
    assert.equal(peers.mine.size, 3, 'the updates it holds are served to peers by digest');
  });

  it('a rewards root that pays someone else is a mismatch, though the model hash matches', async () => {
    const { auditor, archive, published, results } = harness({ committed: { rewardsRoot: keccak256(toHex('pays the coordinator')) } });
    holdAll(archive);
    await auditor.audit(1);
    assert.equal(results[0].verdict, 'mismatch');
    assert.match(results[0].reason, /model hash matches; recomputed rewards root/);
    assert.equal(published[0].verdict, 'mismatch');
    assert.equal(published[0].rewardsRoot, keccak256(toHex('pays the coordinator')), 'the verdict names what the ledger committed');
  });

  it('an auditor on another tfjs backend than the coordinator\'s judges the rewards root: match on the honest round, mismatch on a root that pays the coordinator', async () => {
    assert.equal(currentBackend(), 'cpu', 'the coordinator produced the round on cpu');
    assert.equal(checkpointScoring(produced.checkpoint.meta)?.evaluator, 'reference-v1');
    const tfjsLosses = async (): Promise<number[]> => {
      const losses: number[] = [];
      for (const params of [genesis.params, produced.checkpoint.params]) for (const limit of [32, 64]) losses.push((await evaluate({ spec, params, data: validation, limit })).loss);
      return losses;
    };
    const onCpu = await tfjsLosses();
    await initBackend('wasm');
    try {
      assert.notDeepEqual(await tfjsLosses(), onCpu, 'tfjs itself gives other bits on wasm, so a round scored with tfjs could not be judged here');
      const honest = harness();
      holdAll(honest.archive);
      await honest.auditor.audit(1);
      assert.equal(honest.results[0].verdict, 'match', honest.results[0].reason);
      assert.equal(honest.results[0].computedRewardsRoot, produced.result.rewardsRoot);
      // The coordinator's root, had it paid the whole budget to an owner of its own on top of the real figures.
      const coordinatorOwner: Address = `0x${'c'.repeat(40)}`;
      const honestRows = produced.rewards.map((row) => ({ owner: row.owner as Address, reward: row.amount, samples: row.samples, counted: row.counted }));
      const selfPaid = rewardsRoot(accumulateRewards(new Map(), [...honestRows, { owner: coordinatorOwner, reward: produced.result.rewardBudget, samples: 0, counted: false }]));
      assert.equal(rewardsRoot(accumulateRewards(new Map(), honestRows)), produced.result.rewardsRoot, 'the honest rows are what the coordinator committed');
      const paysItself = harness({ committed: { rewardsRoot: selfPaid } });
      holdAll(paysItself.archive);
      await paysItself.auditor.audit(1);
      assert.equal(paysItself.results[0].verdict, 'mismatch');
      assert.deepEqual(paysItself.published, [{ round: 1, modelHash: produced.result.modelHash, rewardsRoot: selfPaid, verdict: 'mismatch' }]);
    } finally {
      await initBackend('cpu');
    }
  });

  it('a committed model that is not the replay of its updates is a mismatch', async () => {
    const forged = createCheckpoint({ layout: produced.checkpoint.layout, params: produced.checkpoint.params.map((value) => value + 0.01), momentum: produced.checkpoint.momentum, meta: produced.checkpoint.meta });
    const { auditor, archive, results } = harness({ committed: { modelHash: forged.modelHash }, served: [forged] });
    holdAll(archive);
    await auditor.audit(1);
    assert.equal(results[0].verdict, 'mismatch');
    assert.equal(results[0].computedModelHash, produced.result.modelHash);
  });

  it('replays a round at the schedule and decay its checkpoint records (the coordinator defaults); the same weights claiming another schedule are a mismatch', async () => {
    const recorded = checkpointAggregation(produced.checkpoint);
    assert.deepEqual(recorded.outer.schedule, SCHEDULE_DEFAULTS.outer.schedule);
    const honest = harness();
    holdAll(honest.archive);
    await honest.auditor.audit(1);
    assert.equal(honest.results[0].verdict, 'match');
    for (const outer of [{ ...recorded.outer, schedule: { kind: 'constant', warmupRounds: 0 } }, { ...recorded.outer, weightDecay: 0 }]) {
      const meta = { ...produced.checkpoint.meta, aggregation: { ...recorded, outer } };
      const forged = createCheckpoint({ layout: produced.checkpoint.layout, params: produced.checkpoint.params, momentum: produced.checkpoint.momentum, meta });
      const { auditor, archive, results } = harness({ committed: { modelHash: forged.modelHash }, served: [forged] });
      holdAll(archive);
      await auditor.audit(1);
      assert.equal(results[0].verdict, 'mismatch', JSON.stringify(outer));
    }
  });

  it('a checkpoint whose update list does not hash to the committed updatesRoot is a mismatch', async () => {
    const { auditor, archive, results } = harness({ committed: { updatesRoot: keccak256(toHex('other set')) } });
    holdAll(archive);
    await auditor.audit(1);
    assert.equal(results[0].verdict, 'mismatch');
    assert.match(results[0].reason, /not the committed updatesRoot/);
  });

  it('an included update it missed is fetched by digest from a peer (bytes of another update under that digest are refused), then judged', async () => {
    const { auditor, archive, peers, results, next } = harness();
    holdAll(archive, updates.slice(0, 2));
    const missing = updates[2];
    peers.served.set(missing.digest.toLowerCase(), encodeUpdate(updates[0].update, { inline: true }));
    const judged = next();
    await auditor.audit(1);
    assert.equal(results.length, 0, 'the daemon is not held up while the update is missing');
    peers.served.set(missing.digest.toLowerCase(), encodeUpdate(missing.update, { inline: true }));
    const result = await judged;
    assert.equal(result.verdict, 'match', result.reason);
    assert.ok(archive.get(missing.digest), 'kept once fetched');
  });

  it('an included update nobody produces before half the window is over makes the verdict unavailable', async () => {
    const clock = new FakeClock(1_000_000);
    const { auditor, archive, published, next } = harness({ clock });
    holdAll(archive, updates.slice(1));
    const judged = next();
    const judgement = await auditor.audit(1);
    assert.equal(judgement.wrong, false, 'not judged when audit returns: it goes on in the background');
    const result = await judged;
    assert.equal(result.verdict, 'unavailable');
    assert.deepEqual(await judgement.later, { modelHash: result.chainModelHash, wrong: true }, 'the judgement the daemon withholds on');
    assert.match(result.reason, /1 of the 3 included updates could not be fetched/);
    assert.ok(clock.time >= 1_005_000, `gave up at ${clock.time}, before committedAt + window / 2`);
    assert.equal(published[0].verdict, 'unavailable');
  });

  it('the deadline runs on the chain\'s clock: a devnet whose blocks run 23 s ahead of the wall clock still gets its verdict within the window', async () => {
    const clock = new FakeClock(1_000_000);
    const { auditor, next } = harness({ clock, committed: { committedAt: 1023 }, chainTime: 1023 });
    const judged = next();
    await auditor.audit(1);
    assert.equal((await judged).verdict, 'unavailable');
    assert.ok(clock.time >= 1_005_000 && clock.time < 1_010_000, `gave up at ${clock.time}: half the 10 s window after the commit on the chain's clock`);
  });

  it('a committed model nobody serves is unavailable (a coordinator that commits a hash it cannot back)', async () => {
    const { auditor, archive, next } = harness({ committed: { modelHash: keccak256(toHex('no such model')) } });
    holdAll(archive);
    const judged = next();
    await auditor.audit(1);
    assert.equal((await judged).verdict, 'unavailable');
  });

  it('abstains (signs nothing) when it cannot judge: no parent model, or a rewards root it cannot recompute bit for bit', async () => {
    const noParent = harness({ held: [] });
    await noParent.auditor.audit(1);
    assert.equal(noParent.results[0].verdict, 'abstained');
    assert.equal(noParent.published.length, 0);
    // A round whose checkpoint names an evaluator this build lacks (a later version's): the replay matches, the losses cannot be had.
    const laterScoring = { ...(produced.checkpoint.meta.scoring as Record<string, unknown>), evaluator: 'reference-v9' };
    const later = createCheckpoint({ layout: produced.checkpoint.layout, params: produced.checkpoint.params, momentum: produced.checkpoint.momentum, meta: { ...produced.checkpoint.meta, scoring: laterScoring } });
    const otherEvaluator = harness({ committed: { modelHash: later.modelHash }, served: [later] });
    holdAll(otherEvaluator.archive);
    await otherEvaluator.auditor.audit(1);
    assert.equal(otherEvaluator.results[0].verdict, 'abstained', otherEvaluator.results[0].reason);
    assert.match(otherEvaluator.results[0].reason, /model hash matches, but the round was scored by evaluator "reference-v9", which this build does not implement/);
    assert.equal(otherEvaluator.published.length, 0);
    const otherBatch = harness({ scorer: { ...scorer, validation: { ...validation, labels: validation.labels.map((label) => (label + 1) % 10) } } });
    holdAll(otherBatch.archive);
    await otherBatch.auditor.audit(1);
    assert.match(otherBatch.results[0].reason, /validation batch/);
    const noScorer = harness({ scorer: undefined });
    holdAll(noScorer.archive);
    await noScorer.auditor.audit(1);
    assert.equal(noScorer.results[0].verdict, 'abstained');
    assert.equal(noScorer.published.length, 0);
  });

  it('a wrong model is a mismatch even where rewards cannot be checked', async () => {
    const forged = createCheckpoint({ layout: produced.checkpoint.layout, params: produced.checkpoint.params.map((value) => value * 2), momentum: produced.checkpoint.momentum, meta: produced.checkpoint.meta });
    const { auditor, archive, results } = harness({ committed: { modelHash: forged.modelHash }, served: [forged], scorer: undefined });
    holdAll(archive);
    await auditor.audit(1);
    assert.equal(results[0].verdict, 'mismatch');
  });

  it('a node that did not judge the round before checks rewards from the coordinator\'s history, only if it hashes to the committed root', async () => {
    const history = (rows: typeof produced.rewards): RewardHistory => ({
      roundRewards: async (round) => {
        assert.equal(round, 1);
        return rows.map((row) => ({ owner: row.owner, reward: row.amount, samples: row.samples, counted: row.counted }));
      },
    });
    const run = async (options: { history?: RewardHistory }): Promise<AuditResult> => {
      const { auditor, archive, results } = harness({ held: [produced.checkpoint], ...options });
      holdAll(archive, secondUpdates);
      await auditor.audit(2);
      return results[0];
    };
    const honest = await run({ history: history(produced.rewards) });
    assert.equal(honest.verdict, 'match', honest.reason);
    assert.equal(honest.computedRewardsRoot, second.result.rewardsRoot);
    const none = await run({});
    assert.equal(none.verdict, 'abstained');
    assert.match(none.reason, /cumulative rewards of round 1/);
    const lying = await run({ history: history(produced.rewards.map((row, index) => (index === 0 ? { ...row, amount: row.amount + 1n } : row))) });
    assert.equal(lying.verdict, 'abstained', 'rows that do not hash to the committed root are not used');
  });

  it('a try that keeps failing is retried with backoff, and abandoned without a verdict when the window closes', async () => {
    const clock = new FakeClock(1_000_000);
    const warnings: string[] = [];
    let reads = 0;
    const { auditor, results, published, peers, archive } = harness({
      clock,
      logger: { ...silentLogger, warn: (_fields: object, message: string) => void warnings.push(message) },
      // Reads of the round before (needed for the rewards) fail, as from a dead RPC endpoint.
      onGetRound: (round) => {
        if (round !== 0) return;
        reads++;
        throw new Error('connection refused');
      },
    });
    holdAll(archive, updates.slice(0, 2));
    const missing = updates[2];
    await auditor.audit(1);
    peers.served.set(missing.digest.toLowerCase(), encodeUpdate(missing.update, { inline: true }));
    for (let i = 0; i < 200 && !warnings.some((line) => /abandoned/.test(line)); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(warnings.some((line) => /abandoned: its challenge window closed/.test(line)), warnings.join('\n'));
    assert.ok(clock.time >= 1_010_000, 'tried until the window closed');
    assert.ok(reads < 60, `${reads} reads: retried with backoff, not in a tight loop`);
    assert.equal(results.length, 0);
    assert.equal(published.length, 0);
  });

  it('stopping the daemon ends an audit waiting for inputs, with no verdict', async () => {
    const { auditor, lifetime, results, published } = harness();
    await auditor.audit(1);
    lifetime.abort();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(results.length, 0);
    assert.equal(published.length, 0);
  });
});

describe('UpdateArchive', () => {
  it('serves what it keeps under the digest, and takes fetched bytes only when they are that update with its own payload', async () => {
    const peers = new FakePeers();
    const archive = new UpdateArchive({ exchange: peers, domain: DOMAIN, keepRounds: 1 });
    const [first, second] = updates;
    archive.keep(first.update, first.digest);
    assert.deepEqual(peers.mine.get(first.digest.toLowerCase()), encodeUpdate(first.update, { inline: true }));
    // The right fields with another payload: the digest matches, the payload does not hash to payloadDigest.
    const swapped = encodeUpdate({ ...second.update, payload: first.update.payload }, { inline: true });
    peers.served.set(second.digest.toLowerCase(), swapped);
    await assert.rejects(archive.fetch(second.digest, { maxPayloadBytes: 1 << 20 }), /no peer served/);
    peers.served.set(second.digest.toLowerCase(), encodeUpdate(second.update, { inline: false }));
    await assert.rejects(archive.fetch(second.digest, { maxPayloadBytes: 1 << 20 }), /no peer served/, 'without its payload it is no use');
    peers.served.set(second.digest.toLowerCase(), encodeUpdate(second.update, { inline: true }));
    const fetched = await archive.fetch(second.digest, { maxPayloadBytes: 1 << 20 });
    assert.equal(fetched.update.nodeKey, second.update.nodeKey);
    assert.equal(fetched.delta.length, genesis.params.length);
    // Round 3 arrives: with one round kept, round 1's updates are forgotten.
    archive.keep(secondUpdates[0].update, secondUpdates[0].digest);
    archive.keep({ ...secondUpdates[1].update, round: 3 }, keccak256(toHex('a round-3 digest')));
    assert.equal(archive.get(first.digest), undefined);
    assert.ok(archive.get(secondUpdates[0].digest));
  });
});
