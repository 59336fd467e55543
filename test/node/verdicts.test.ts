import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, toHex, type Address, type Hex } from 'viem';
import { RpcUnreachableError } from '../../core/chain/index.ts';
import { silentLogger } from '../../core/log/index.ts';
import { signVerdict, type SignedVerdict, type VerdictKind } from '../../core/protocol/index.ts';
import { Challenger, type ChallengeChain, type ChallengeOutcome } from '../../node/challenger.ts';
import { byNodeKey, reachesThreshold, VerdictCollector, verdictSubject } from '../../node/verdicts.ts';
import { DOMAIN, newNodeKey, type TestNode } from '../core/protocol/fixtures.ts';

const MODEL: Hex = keccak256(toHex('bad model'));
const REWARDS: Hex = keccak256(toHex('rewards'));
const nodes: TestNode[] = Array.from({ length: 6 }, () => newNodeKey());

const verdictOf = (node: TestNode, verdict: VerdictKind, overrides: { round?: number; modelHash?: Hex } = {}): Promise<SignedVerdict> =>
  signVerdict({ privateKey: node.privateKey, domain: DOMAIN, round: overrides.round ?? 4, modelHash: overrides.modelHash ?? MODEL, rewardsRoot: REWARDS, verdict });

/** A chain where every node has `stake` unless told otherwise; records each challenge sent. */
class FakeChain implements ChallengeChain {
  readonly stakes = new Map<Address, bigint>(nodes.map((node) => [node.address, 100n]));
  threshold = 3334n;
  final = false;
  sent: { round: number; verdicts: readonly SignedVerdict[] }[] = [];
  failuresBeforeAnswer = 0;
  revert: Error | undefined;

  async thresholdBps(): Promise<bigint> {
    return this.threshold;
  }
  async totalActiveStake(): Promise<bigint> {
    this.#maybeFail();
    return [...this.stakes.values()].reduce((sum, stake) => sum + stake, 0n);
  }
  async activeStakeOf(nodeKey: Address): Promise<bigint> {
    return this.stakes.get(nodeKey) ?? 0n;
  }
  async isFinal(): Promise<boolean> {
    return this.final;
  }
  async challengeRound(round: number, verdicts: readonly SignedVerdict[]): Promise<{ hash: Hex }> {
    if (this.revert) throw this.revert;
    this.sent.push({ round, verdicts });
    return { hash: keccak256(toHex(`tx ${this.sent.length}`)) };
  }
  #maybeFail(): void {
    if (this.failuresBeforeAnswer > 0) {
      this.failuresBeforeAnswer -= 1;
      throw new RpcUnreachableError('http://127.0.0.1:1', new Error('ECONNREFUSED'));
    }
  }
}

function challenger(chain: ChallengeChain, outcomes: ChallengeOutcome[] = []): Challenger {
  return new Challenger({ chain, logger: silentLogger, backoff: { baseMs: 1, maxMs: 5 }, signal: new AbortController().signal, onOutcome: (outcome) => outcomes.push(outcome) });
}

test('the threshold is the contract\'s exact integer comparison, and sorting is by node key as a number', () => {
  assert.equal(reachesThreshold(3334n, 10_000n, 3334n), true);
  assert.equal(reachesThreshold(3333n, 10_000n, 3334n), false);
  assert.equal(reachesThreshold(200n, 600n, 3334n), false, '200/600 is 33.33%, below 33.34%');
  assert.equal(reachesThreshold(0n, 0n, 3334n), false, 'no stake, no challenge');
  const sorted = [...nodes].map((node) => ({ nodeKey: node.address }) as SignedVerdict).sort(byNodeKey);
  for (let i = 1; i < sorted.length; i++) assert.ok(BigInt(sorted[i - 1].nodeKey) < BigInt(sorted[i].nodeKey));
});

test('the collector keeps the first verdict of each node key per subject and lists those against, sorted', async () => {
  const collector = new VerdictCollector();
  const first = await verdictOf(nodes[0], 'mismatch');
  assert.equal(collector.add(first), true);
  assert.equal(collector.add(first), false, 'a repeat');
  assert.equal(collector.add(await verdictOf(nodes[0], 'match')), false, 'a second verdict of one key on one subject');
  collector.add(await verdictOf(nodes[1], 'unavailable'));
  collector.add(await verdictOf(nodes[2], 'match'));
  collector.add(await verdictOf(nodes[3], 'mismatch', { modelHash: keccak256(toHex('recommitted')) }));
  const subject = verdictSubject(first);
  assert.deepEqual(collector.tally(subject), { match: 1, mismatch: 1, unavailable: 1 });
  const against = collector.against(subject);
  assert.deepEqual(against.map((verdict) => verdict.nodeKey), [nodes[0].address, nodes[1].address].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));
  const recommitted = verdictSubject({ round: 4, modelHash: keccak256(toHex('recommitted')), rewardsRoot: REWARDS });
  assert.deepEqual(collector.tally(recommitted), { match: 0, mismatch: 1, unavailable: 0 }, 'a recommitted round is another subject');
  collector.forget(subject);
  assert.deepEqual(collector.tally(subject), { match: 0, mismatch: 0, unavailable: 0 });
  assert.deepEqual(collector.tally(recommitted), { match: 0, mismatch: 1, unavailable: 0 }, 'the other version of round 4 stays');
  const bounded = new VerdictCollector({ maxSubjects: 2 });
  for (const round of [1, 2, 3]) bounded.add(await verdictOf(nodes[0], 'mismatch', { round }));
  const kept = [1, 2, 3].map((round) => bounded.tally(verdictSubject({ round, modelHash: MODEL, rewardsRoot: REWARDS })).mismatch);
  assert.deepEqual(kept, [0, 1, 1], 'the oldest subject went');
});

test('below the threshold nothing is sent; the verdict that reaches it sends one challenge, sorted, and later ones send nothing', async () => {
  const chain = new FakeChain();
  const outcomes: ChallengeOutcome[] = [];
  const daemon = challenger(chain, outcomes);
  // 6 nodes × 100: one third is 200 (33.33%) — not enough at 3334 bps; 300 is.
  assert.equal((await daemon.offer(await verdictOf(nodes[4], 'mismatch')))?.status, 'waiting');
  assert.equal(daemon.offer(await verdictOf(nodes[0], 'match')), undefined, 'a match never triggers anything');
  assert.equal((await daemon.offer(await verdictOf(nodes[2], 'unavailable')))?.status, 'waiting');
  assert.equal(chain.sent.length, 0);
  const outcome = await daemon.offer(await verdictOf(nodes[1], 'mismatch'));
  assert.equal(outcome?.status, 'challenged');
  assert.ok(outcome?.status === 'challenged' && outcome.against === 300n && outcome.totalActiveStake === 600n && outcome.verdicts === 3);
  assert.equal(chain.sent.length, 1);
  assert.equal(chain.sent[0].round, 4);
  const keys = chain.sent[0].verdicts.map((verdict) => BigInt(verdict.nodeKey));
  assert.deepEqual(keys, [...keys].sort((a, b) => (a < b ? -1 : 1)), 'strictly increasing node keys');
  assert.ok(chain.sent[0].verdicts.every((verdict) => verdict.verdict !== 'match'));
  assert.equal(daemon.offer(await verdictOf(nodes[3], 'mismatch')), undefined, 'the round is settled');
  assert.equal(chain.sent.length, 1);
  // Voided and committed anew (another model hash): judged afresh, and challenged again when wrong again.
  const recommitted = keccak256(toHex('bad again'));
  for (const node of nodes.slice(0, 2)) await daemon.offer(await verdictOf(node, 'mismatch', { modelHash: recommitted }));
  assert.equal((await daemon.offer(await verdictOf(nodes[2], 'mismatch', { modelHash: recommitted })))?.status, 'challenged');
  assert.equal(chain.sent.length, 2);
  assert.equal(chain.sent[1].verdicts[0].modelHash, recommitted);
  assert.deepEqual(outcomes.map((entry) => entry.status), ['waiting', 'waiting', 'challenged', 'waiting', 'waiting', 'challenged']);
});

test('verdicts of nodes no longer active neither count nor go on chain', async () => {
  const chain = new FakeChain();
  const daemon = challenger(chain);
  chain.stakes.set(nodes[0].address, 0n);
  const statuses = [];
  for (const node of nodes.slice(0, 3)) statuses.push((await daemon.offer(await verdictOf(node, 'mismatch')))?.status);
  // 0 + 100 of 500 active is 20%; 0 + 100 + 100 is 40%, enough.
  assert.deepEqual(statuses, ['waiting', 'waiting', 'challenged']);
  assert.deepEqual(chain.sent[0].verdicts.map((verdict) => verdict.nodeKey).sort(), [nodes[1].address, nodes[2].address].sort());
});

test('a revert (someone challenged first, or the round is final) is logged once and not retried; a final round settles', async () => {
  const chain = new FakeChain();
  chain.threshold = 1n;
  chain.revert = new Error('RoundChallenges.challengeRound reverted: RoundAlreadyFinal(4)');
  const daemon = challenger(chain);
  const outcome = await daemon.offer(await verdictOf(nodes[0], 'mismatch'));
  assert.equal(outcome?.status, 'refused');
  assert.match(outcome?.status === 'refused' ? outcome.error : '', /RoundAlreadyFinal/);
  assert.equal(daemon.offer(await verdictOf(nodes[1], 'mismatch')), undefined, 'not retried');

  const late = new FakeChain();
  late.final = true;
  const second = challenger(late);
  assert.equal((await second.offer(await verdictOf(nodes[0], 'mismatch')))?.status, 'final');
  assert.equal(late.sent.length, 0);
});

test('RPC failures are retried with backoff until the chain answers', async () => {
  const chain = new FakeChain();
  chain.failuresBeforeAnswer = 3;
  chain.threshold = 1n;
  const outcome = await challenger(chain).offer(await verdictOf(nodes[0], 'unavailable'));
  assert.equal(outcome?.status, 'challenged');
  assert.equal(chain.failuresBeforeAnswer, 0);
});

test('stopping the daemon ends a retry loop without a transaction', async () => {
  const chain = new FakeChain();
  chain.failuresBeforeAnswer = Number.POSITIVE_INFINITY;
  const lifetime = new AbortController();
  const daemon = new Challenger({ chain, logger: silentLogger, backoff: { baseMs: 5, maxMs: 10 }, signal: lifetime.signal });
  const pending = daemon.offer(await verdictOf(nodes[0], 'mismatch'));
  setTimeout(() => lifetime.abort(), 30);
  assert.equal(await pending, undefined);
  assert.equal(chain.sent.length, 0);
});
