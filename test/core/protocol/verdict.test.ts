import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashTypedData, keccak256, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  createGossipValidator,
  decodeVerdict,
  encodeVerdict,
  gradnetDomain,
  isVerdictAgainst,
  recoverVerdictSigner,
  signVerdict,
  verdictCode,
  verdictDigest,
  verdictKindOf,
  InvalidMessageError,
  MAX_VERDICT_BYTES,
  VERDICT_TYPES,
  type CommittedVerdictSubject,
  type SignedVerdict,
  type VerdictLedger,
} from '../../../core/protocol/index.ts';
import { Verdict as VerdictWire } from '../../../core/protocol/generated/verdict.ts';
import { DOMAIN, LEDGER, MemoryDirectory, context, newNodeKey } from './fixtures.ts';

const MODEL: Hex = keccak256(toHex('model of round 4'));
const REWARDS: Hex = keccak256(toHex('rewards of round 4'));
const auditor = newNodeKey();
const other = newNodeKey();
const stranger = newNodeKey();

class MemoryLedger implements VerdictLedger {
  readonly rounds = new Map<number, CommittedVerdictSubject>([[4, { modelHash: MODEL, rewardsRoot: REWARDS }]]);
  failing = false;
  async committedRound(round: number): Promise<CommittedVerdictSubject | undefined> {
    if (this.failing) throw new Error('connection refused');
    return this.rounds.get(round);
  }
}

const sign = (overrides: Partial<Parameters<typeof signVerdict>[0]> = {}): Promise<SignedVerdict> =>
  signVerdict({ privateKey: auditor.privateKey, domain: DOMAIN, round: 4, modelHash: MODEL, rewardsRoot: REWARDS, verdict: 'mismatch', ...overrides });

test('verdict codes are the contract\'s: 0 match, 1 mismatch, 2 unavailable; mismatch and unavailable count against', () => {
  assert.deepEqual([verdictCode('match'), verdictCode('mismatch'), verdictCode('unavailable')], [0, 1, 2]);
  assert.deepEqual([0, 1, 2].map(verdictKindOf), ['match', 'mismatch', 'unavailable']);
  assert.deepEqual(['match', 'mismatch', 'unavailable'].map((kind) => isVerdictAgainst(kind as never)), [false, true, true]);
  for (const code of [3, -1, 0.5, Number.NaN]) assert.throws(() => verdictKindOf(code), InvalidMessageError);
  assert.throws(() => verdictCode('skipped' as never), /match, mismatch or unavailable/);
});

test('the digest is the EIP-712 hash of Verdict(uint64 round,bytes32 modelHash,bytes32 rewardsRoot,uint8 verdict) in the protocol domain', async () => {
  const verdict = await sign();
  const expected = hashTypedData({
    domain: { name: 'gradnet', version: '1', chainId: 31337, verifyingContract: LEDGER },
    types: { Verdict: [{ name: 'round', type: 'uint64' }, { name: 'modelHash', type: 'bytes32' }, { name: 'rewardsRoot', type: 'bytes32' }, { name: 'verdict', type: 'uint8' }] },
    primaryType: 'Verdict',
    message: { round: 4n, modelHash: MODEL, rewardsRoot: REWARDS, verdict: 1 },
  });
  assert.equal(verdictDigest(verdict, DOMAIN), expected);
  assert.deepEqual(VERDICT_TYPES.Verdict.map((field) => `${field.type} ${field.name}`), ['uint64 round', 'bytes32 modelHash', 'bytes32 rewardsRoot', 'uint8 verdict']);
  // viem's own account signs the same bytes: the contract's ecrecover sees one signature.
  const viaAccount = await privateKeyToAccount(auditor.privateKey).signTypedData({ domain: DOMAIN, types: VERDICT_TYPES, primaryType: 'Verdict', message: { round: 4n, modelHash: MODEL, rewardsRoot: REWARDS, verdict: 1 } });
  assert.equal(viaAccount, verdict.signature);
});

test('sign, recover, encode and decode round-trip; another domain or a changed field recovers someone else', async () => {
  const verdict = await sign();
  assert.equal(verdict.nodeKey, auditor.address);
  assert.equal(await recoverVerdictSigner(verdict, DOMAIN), auditor.address);
  const bytes = encodeVerdict(verdict);
  assert.ok(bytes.byteLength < 200, `a verdict is ${bytes.byteLength} bytes`);
  assert.deepEqual(decodeVerdict(bytes), verdict);
  assert.notEqual(await recoverVerdictSigner(verdict, gradnetDomain(1, LEDGER)), auditor.address, 'another chain');
  assert.notEqual(await recoverVerdictSigner(verdict, gradnetDomain(31337, other.address)), auditor.address, 'another deployment');
  assert.notEqual(await recoverVerdictSigner({ ...verdict, verdict: 'match' }, DOMAIN), auditor.address, 'flipped verdict');
  assert.notEqual(await recoverVerdictSigner({ ...verdict, round: 5 }, DOMAIN), auditor.address, 'other round');
  assert.equal(await recoverVerdictSigner({ ...verdict, signature: `0x${'00'.repeat(65)}` }, DOMAIN), undefined, 'garbage signature');
});

test('malformed verdicts are refused when signed or decoded', async () => {
  for (const round of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
    await assert.rejects(sign({ round }), InvalidMessageError, `round ${round}`);
  }
  await assert.rejects(sign({ modelHash: '0x1234' }), /modelHash must be a 32-byte hex hash/);
  await assert.rejects(sign({ rewardsRoot: 'nope' as Hex }), /rewardsRoot must be a 32-byte hex hash/);
  await assert.rejects(sign({ verdict: 'skipped' as never }), /unknown/);
  const good = await sign();
  const wire = VerdictWire.decode(encodeVerdict(good));
  const reencode = (overrides: Partial<VerdictWire>): Uint8Array => VerdictWire.encode({ ...wire, ...overrides });
  const cases: [string, Uint8Array, RegExp][] = [
    ['oversize', new Uint8Array(MAX_VERDICT_BYTES + 1), /exceeds/],
    ['garbage', new Uint8Array([0xff, 0xff, 0xff, 0x01]), /do not decode/],
    ['short model hash', reencode({ modelHash: new Uint8Array(31) }), /modelHash must be 32 bytes/],
    ['short rewards root', reencode({ rewardsRoot: new Uint8Array(33) }), /rewardsRoot must be 32 bytes/],
    ['short node key', reencode({ nodeKey: new Uint8Array(19) }), /nodeKey must be 20 bytes/],
    ['short signature', reencode({ signature: new Uint8Array(64) }), /signature must be 65 bytes/],
    ['unknown verdict code', reencode({ verdict: 7 }), /verdict code 7/],
    ['round zero', reencode({ round: 0 }), /round must be an integer ≥ 1/],
  ];
  for (const [name, bytes, message] of cases) assert.throws(() => decodeVerdict(bytes), message, name);
});

test('gossip validation: each bad verdict gets its reason and outcome, a good one is accepted', async () => {
  const directory = new MemoryDirectory();
  directory.active.add(auditor.address);
  directory.active.add(other.address);
  const ledger = new MemoryLedger();
  const validator = createGossipValidator({ domain: DOMAIN, directory, context: () => context(5), isCoordinator: () => false, ledger });
  const good = await sign();
  const accepted = await validator.validateVerdict(encodeVerdict(good), { from: auditor.address });
  assert.equal(accepted.outcome, 'accept');
  assert.ok(accepted.outcome === 'accept' && accepted.verdict.verdict === 'mismatch' && accepted.verdict.nodeKey === auditor.address);

  const otherChain = await sign({ domain: gradnetDomain(1, LEDGER) });
  const byStranger = await signVerdict({ privateKey: stranger.privateKey, domain: DOMAIN, round: 4, modelHash: MODEL, rewardsRoot: REWARDS, verdict: 'unavailable' });
  const cases: { name: string; data: Uint8Array; from?: Hex; reason: string; outcome: string }[] = [
    { name: 'garbage', data: new Uint8Array([1, 2, 3]), reason: 'decode_failed', outcome: 'reject' },
    { name: 'relayed under another key', data: encodeVerdict(good), from: other.address, reason: 'from_mismatch', outcome: 'reject' },
    { name: 'forged (verdict flipped after signing)', data: encodeVerdict({ ...good, verdict: 'match' }), reason: 'bad_signature', outcome: 'reject' },
    { name: 'signed for another chain', data: encodeVerdict(otherChain), reason: 'bad_signature', outcome: 'reject' },
    { name: 'signed under another node key', data: encodeVerdict({ ...(await sign()), nodeKey: other.address }), from: other.address, reason: 'bad_signature', outcome: 'reject' },
    { name: 'round not committed', data: encodeVerdict(await sign({ round: 9 })), reason: 'unknown_round', outcome: 'ignore' },
    { name: 'wrong model hash', data: encodeVerdict(await sign({ modelHash: keccak256(toHex('x')) })), reason: 'wrong_commitment', outcome: 'ignore' },
    { name: 'wrong rewards root', data: encodeVerdict(await sign({ rewardsRoot: keccak256(toHex('y')) })), reason: 'wrong_commitment', outcome: 'ignore' },
    { name: 'unregistered signer', data: encodeVerdict(byStranger), from: stranger.address, reason: 'unregistered_signer', outcome: 'reject' },
  ];
  for (const { name, data, from, reason, outcome } of cases) {
    const result = await validator.validateVerdict(data, { from: from ?? auditor.address });
    assert.equal(result.reason, reason, name);
    assert.equal(result.outcome, outcome, name);
  }
  ledger.failing = true;
  const unreachable = await validator.validateVerdict(encodeVerdict(good), { from: auditor.address });
  assert.deepEqual([unreachable.outcome, unreachable.reason], ['ignore', 'registry_unavailable']);
  const counts = await validator.counts();
  assert.equal(counts['verdict/valid'], 1);
  assert.equal(counts['verdict/wrong_commitment'], 2);

  const blind = createGossipValidator({ domain: DOMAIN, directory, context: () => context(5), isCoordinator: () => false });
  const noLedger = await blind.validateVerdict(encodeVerdict(good), { from: auditor.address });
  assert.deepEqual([noLedger.outcome, noLedger.reason], ['ignore', 'no_context']);
});
