import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { ContractRevertError, RpcUnreachableError, type SignedUpdateEvidence } from '../../core/chain/index.ts';
import type { StructuredLogger } from '../../core/log/index.ts';
import { equivocationEvidence, gradnetDomain, nodeKeyAddress, signUpdate, type EquivocationEvidence } from '../../core/protocol/index.ts';
import { encodeDelta } from '../../core/tensor/index.ts';
import { EvidenceReporter, type EvidenceChain, type EvidenceOutcome } from '../../node/evidence-reporter.ts';

// Issue 11, 3.9: equivocation seen only by peers was only logged. A peer now proves it on chain.

const domain = gradnetDomain(31337, `0x${'1'.repeat(40)}`);
const BASE: Hex = `0x${'ab'.repeat(32)}`;
const OWN_KEY = generatePrivateKey();

async function evidenceOf(privateKey: Hex, round: number, seeds: [number, number] = [1, 2]): Promise<EquivocationEvidence> {
  const [first, second] = await Promise.all(
    seeds.map((seed) =>
      signUpdate({ privateKey, domain, round, baseModelHash: BASE, samples: 64, trainLoss: 0.5, codec: 'fp32', payload: encodeDelta('fp32', new Float32Array([seed, 0.5])).payload }),
    ),
  );
  return equivocationEvidence(first, second, domain);
}

/** A registry that slashes each (node key, round) once, with scripted failures. */
class FakeRegistry implements EvidenceChain {
  readonly sent: { nodeKey: Address; round: number; digests: [Hex, Hex] }[] = [];
  readonly slashed = new Set<string>();
  /** Errors successive slashEquivocation calls throw before anything else happens. */
  failures: Error[] = [];
  /** Runs inside the next slashEquivocation call, before it checks the registry (another reporter racing). */
  before: (() => void) | undefined;

  async slashEquivocation(first: SignedUpdateEvidence, second: SignedUpdateEvidence): Promise<{ hash: Hex }> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.before?.();
    this.before = undefined;
    const offence = `${first.nodeKey.toLowerCase()}:${first.round}`;
    if (this.slashed.has(offence)) {
      throw new ContractRevertError({ rpcUrl: 'fake', contract: 'NodeRegistry', functionName: 'slashEquivocation', errorName: 'AlreadySlashed', errorArgs: [first.nodeKey, first.round], cause: null });
    }
    this.slashed.add(offence);
    this.sent.push({ nodeKey: first.nodeKey, round: first.round, digests: [first.payloadDigest, second.payloadDigest] });
    return { hash: `0x${this.sent.length.toString(16).padStart(64, '0')}` };
  }

  async slashedFor(nodeKey: Address, round: number): Promise<boolean> {
    return this.slashed.has(`${nodeKey.toLowerCase()}:${round}`);
  }

  balance = 10n ** 18n;

  async gasBalance(): Promise<bigint> {
    return this.balance;
  }
}

function reporterWith(registry: FakeRegistry, extra: { logger?: StructuredLogger; remember?: number } = {}) {
  const outcomes: EvidenceOutcome[] = [];
  let resolveNext: ((outcome: EvidenceOutcome) => void) | undefined;
  const reporter = new EvidenceReporter({
    chain: registry,
    nodeKey: nodeKeyAddress(OWN_KEY),
    logger: extra.logger ?? { debug() {}, info() {}, warn() {}, error() {} },
    backoff: { baseMs: 1, maxMs: 5 },
    remember: extra.remember,
    onOutcome: (outcome) => {
      outcomes.push(outcome);
      resolveNext?.(outcome);
    },
  });
  const next = (): Promise<EvidenceOutcome> => new Promise((resolve) => (resolveNext = resolve));
  /** Waits for `count` outcomes, then a little longer for any that should not come, and stops the reporter. */
  const settle = async (count: number): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (outcomes.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await reporter.stop();
  };
  return { reporter, outcomes, next, settle };
}

describe('node: the evidence reporter proves equivocation on chain', () => {
  it('sends the two signed updates once per offender and round, from evidence the validator found', async () => {
    const registry = new FakeRegistry();
    const { reporter, outcomes, settle } = reporterWith(registry);
    const offender = generatePrivateKey();
    const evidence = await evidenceOf(offender, 3);
    reporter.report(evidence);
    // The same offence again, and a third update of the same round (other evidence, same offence).
    reporter.report(evidence);
    reporter.report(await evidenceOf(offender, 3, [1, 7]));
    reporter.report(await evidenceOf(offender, 4));
    await settle(2);
    assert.deepEqual(registry.sent.map(({ nodeKey, round }) => [nodeKey, round]), [[nodeKeyAddress(offender), 3], [nodeKeyAddress(offender), 4]]);
    assert.deepEqual(outcomes.map((outcome) => [outcome.status, outcome.round]), [['slashed', 3], ['slashed', 4]]);
  });

  it('remembers a bounded number of offences, forgetting the oldest', async () => {
    const registry = new FakeRegistry();
    const { reporter, outcomes, settle } = reporterWith(registry, { remember: 2 });
    const offender = generatePrivateKey();
    for (const round of [1, 2, 3, 1]) reporter.report(await evidenceOf(offender, round));
    await settle(4);
    // Round 1 was forgotten once round 3 came in: taken in again, and found already slashed.
    assert.deepEqual(outcomes.map((outcome) => [outcome.status, outcome.round]), [['slashed', 1], ['slashed', 2], ['slashed', 3], ['already-slashed', 1]]);
  });

  it('keeps going after evidence it cannot even decode', async () => {
    const registry = new FakeRegistry();
    const errors: string[] = [];
    const { reporter, outcomes, settle } = reporterWith(registry, { logger: { debug() {}, info() {}, warn() {}, error: (_fields, message) => errors.push(message) } });
    const broken = { ...(await evidenceOf(generatePrivateKey(), 12)), first: new Uint8Array([0xff, 0xff, 0xff]) };
    reporter.report(broken);
    reporter.report(await evidenceOf(generatePrivateKey(), 13));
    await settle(1);
    assert.deepEqual(outcomes.map((outcome) => [outcome.status, outcome.round]), [['slashed', 13]]);
    assert.deepEqual(errors, ['proving equivocation failed unexpectedly']);
  });

  it('sends nothing when the offender is already slashed for the round, and says so', async () => {
    const registry = new FakeRegistry();
    const offender = generatePrivateKey();
    registry.slashed.add(`${nodeKeyAddress(offender).toLowerCase()}:5`);
    const { reporter, outcomes, settle } = reporterWith(registry);
    reporter.report(await evidenceOf(offender, 5));
    await settle(1);
    assert.deepEqual(registry.sent, []);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['already-slashed']);
  });

  it('takes a revert because another reporter was first as done, not as a failure, and does not retry it', async () => {
    const registry = new FakeRegistry();
    const offender = generatePrivateKey();
    registry.before = () => registry.slashed.add(`${nodeKeyAddress(offender).toLowerCase()}:6`);
    const { reporter, outcomes, settle } = reporterWith(registry);
    reporter.report(await evidenceOf(offender, 6));
    await settle(1);
    assert.deepEqual(registry.sent, []);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['already-slashed']);
  });

  it('reports a refusal it cannot explain as failed, without retrying', async () => {
    const registry = new FakeRegistry();
    const refusal = new ContractRevertError({ rpcUrl: 'fake', contract: 'NodeRegistry', functionName: 'slashEquivocation', errorName: 'NothingToSlash', errorArgs: [], cause: null });
    registry.failures = [refusal, refusal];
    const warnings: string[] = [];
    const { reporter, outcomes, settle } = reporterWith(registry, { logger: { debug() {}, info() {}, warn: (_fields, message) => warnings.push(message), error() {} } });
    reporter.report(await evidenceOf(generatePrivateKey(), 7));
    await settle(1);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['failed']);
    assert.match((outcomes[0] as { error: string }).error, /NothingToSlash/);
    assert.equal(registry.failures.length, 1, 'tried once');
    assert.ok(warnings.some((message) => /could not prove the equivocation/.test(message)));
  });

  it('backs off and retries while the RPC endpoint is unreachable', async () => {
    const registry = new FakeRegistry();
    registry.failures = [1, 2, 3].map(() => new RpcUnreachableError('http://127.0.0.1:1', new Error('ECONNREFUSED')));
    const { reporter, next } = reporterWith(registry);
    const outcome = next();
    reporter.report(await evidenceOf(generatePrivateKey(), 8));
    assert.equal((await outcome).status, 'slashed');
    assert.equal(registry.failures.length, 0);
    await reporter.stop();
  });

  it('stops retrying on stop(), and ignores evidence after it', async () => {
    const registry = new FakeRegistry();
    registry.failures = Array.from({ length: 1000 }, () => new RpcUnreachableError('http://127.0.0.1:1', new Error('ECONNREFUSED')));
    const { reporter, outcomes } = reporterWith(registry);
    reporter.report(await evidenceOf(generatePrivateKey(), 9));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await reporter.stop();
    reporter.report(await evidenceOf(generatePrivateKey(), 10));
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(outcomes, []);
    assert.deepEqual(registry.sent, []);
  });

  it('warns when the node key holds no ETH to pay for a proof, and only then', async () => {
    const registry = new FakeRegistry();
    const warnings: string[] = [];
    const { reporter } = reporterWith(registry, { logger: { debug() {}, info() {}, warn: (_fields, message) => warnings.push(message), error() {} } });
    await reporter.checkGas();
    assert.deepEqual(warnings, []);
    registry.balance = 0n;
    await reporter.checkGas();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /holds no ETH: it cannot pay for the equivocation proofs/);
    await reporter.stop();
  });

  it("leaves evidence against this daemon's own key to the others, and says so loudly", async () => {
    const registry = new FakeRegistry();
    const errors: string[] = [];
    const { reporter, settle } = reporterWith(registry, { logger: { debug() {}, info() {}, warn() {}, error: (_fields, message) => errors.push(message) } });
    reporter.report(await evidenceOf(OWN_KEY, 11));
    await settle(0);
    assert.deepEqual(registry.sent, []);
    assert.match(errors[0], /another daemon runs with it/);
  });
});
