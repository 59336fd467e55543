import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keccak256, toHex } from 'viem';
import {
  createGossipValidator,
  decodeCommitment,
  decodeRoundOpen,
  encodeCommitment,
  encodeRoundOpen,
  encodeUpdate,
  gradnetDomain,
  signCommitment,
  updateDigest,
  type SignedCommitment,
  type ValidationContext,
} from '../../../core/protocol/index.ts';
import { BASE_MODEL, DOMAIN, LEDGER, MemoryDirectory, context, makeUpdate, newNodeKey } from './fixtures.ts';

const alice = newNodeKey();
const mallory = newNodeKey();
const directory = new MemoryDirectory();
directory.active.add(alice.address);
directory.active.add(mallory.address);

async function commitmentOf(node = alice, overrides: { round?: number; baseModelHash?: `0x${string}`; domain?: typeof DOMAIN } = {}): Promise<SignedCommitment> {
  const update = await makeUpdate(node, { round: overrides.round, baseModelHash: overrides.baseModelHash });
  return signCommitment({ privateKey: node.privateKey, domain: overrides.domain ?? DOMAIN, round: update.round, baseModelHash: update.baseModelHash, updateDigest: updateDigest(update, DOMAIN) });
}

function validatorWith(current: () => ValidationContext | undefined) {
  return createGossipValidator({ domain: DOMAIN, directory, context: current, isCoordinator: () => false });
}

test('a commitment round-trips through its wire bytes, and signing it again gives the same bytes', async () => {
  const commitment = await commitmentOf();
  assert.deepEqual(decodeCommitment(encodeCommitment(commitment)), commitment);
  const again = await commitmentOf();
  assert.deepEqual(encodeCommitment(again), encodeCommitment(commitment), 'deterministic: a restarted daemon re-sends the same commitment');
  assert.throws(() => decodeCommitment(new Uint8Array([0xff, 0xff, 0x01])), /do not decode/);
});

test('a commitment is accepted once per node and round; a re-sent one is a duplicate, another digest a conflict', async () => {
  const validator = validatorWith(() => context(3));
  const first = await commitmentOf();
  const accepted = await validator.validateCommitment(encodeCommitment(first), { from: alice.address });
  assert.equal(accepted.outcome, 'accept');
  assert.ok(accepted.outcome === 'accept' && accepted.commitment.updateDigest === first.updateDigest);
  const resent = await validator.validateCommitment(encodeCommitment(first), { from: alice.address });
  assert.deepEqual([resent.outcome, resent.reason], ['ignore', 'duplicate']);
  const other = await signCommitment({ privateKey: alice.privateKey, domain: DOMAIN, round: 3, baseModelHash: BASE_MODEL, updateDigest: keccak256(toHex('another update')) });
  const conflict = await validator.validateCommitment(encodeCommitment(other), { from: alice.address });
  assert.deepEqual([conflict.outcome, conflict.reason], ['ignore', 'commitment_conflict']);
  validator.forgetRound(3);
  const again = await validator.validateCommitment(encodeCommitment(first), { from: alice.address });
  assert.equal(again.outcome, 'accept', 'a re-collected round takes the same commitment again');
});

test('after a challenge a round opens again on another model: a commitment on the new base takes a new slot', async () => {
  let current = context(3);
  const validator = validatorWith(() => current);
  assert.equal((await validator.validateCommitment(encodeCommitment(await commitmentOf()), { from: alice.address })).outcome, 'accept');
  const restored = keccak256(toHex('the model the ledger went back to'));
  current = { ...context(3), baseModelHash: restored };
  const again = await validator.validateCommitment(encodeCommitment(await commitmentOf(alice, { baseModelHash: restored })), { from: alice.address });
  assert.equal(again.outcome, 'accept');
});

test('each invalid commitment gets its reason: late, wrong round or model, forged, relayed under another key, unregistered', async () => {
  const stranger = newNodeKey();
  const good = await commitmentOf();
  const cases: { name: string; context: ValidationContext | undefined; data: Uint8Array; from?: `0x${string}`; reason: string }[] = [
    { name: 'reveal open', context: { ...context(3), commitsClosed: true }, data: encodeCommitment(good), reason: 'commit_late' },
    { name: 'no round', context: undefined, data: encodeCommitment(good), reason: 'no_context' },
    { name: 'stale', context: context(4), data: encodeCommitment(good), reason: 'stale_round' },
    { name: 'future', context: context(2), data: encodeCommitment(good), reason: 'future_round' },
    { name: 'other model', context: context(3), data: encodeCommitment(await commitmentOf(alice, { baseModelHash: keccak256(toHex('other')) })), reason: 'wrong_base_model' },
    { name: 'forged', context: context(3), data: encodeCommitment({ ...good, updateDigest: keccak256(toHex('forged')) }), reason: 'bad_signature' },
    { name: 'other chain', context: context(3), data: encodeCommitment(await commitmentOf(alice, { domain: gradnetDomain(1, LEDGER) })), reason: 'bad_signature' },
    { name: 'relayed under another key', context: context(3), data: encodeCommitment(good), from: mallory.address, reason: 'from_mismatch' },
    { name: 'stranger', context: context(3), data: encodeCommitment(await commitmentOf(stranger)), from: stranger.address, reason: 'unregistered_signer' },
  ];
  for (const entry of cases) {
    const verdict = await validatorWith(() => entry.context).validateCommitment(entry.data, { from: entry.from ?? alice.address });
    assert.equal(verdict.reason, entry.reason, entry.name);
  }
});

test('a round-open announces the stage and the bounds every relay validates updates with', () => {
  const open = { round: 3, baseModelHash: BASE_MODEL, deadline: 1_000, reveal: true, maxUpdateNorm: 12.5, maxSamples: 6400 };
  assert.deepEqual(decodeRoundOpen(encodeRoundOpen(open)), open);
  assert.throws(() => decodeRoundOpen(encodeRoundOpen({ ...open, maxUpdateNorm: 0 })), /maxUpdateNorm/);
  assert.throws(() => decodeRoundOpen(encodeRoundOpen({ ...open, maxSamples: 0 })), /maxSamples/);
});

test('a re-collected round takes the same update again once the validator forgets the round (before: ignored as a duplicate, and the round stalled)', async () => {
  const validator = validatorWith(() => context(3));
  const update = encodeUpdate(await makeUpdate(alice), { inline: true });
  assert.equal((await validator.validateUpdate(update, { from: alice.address })).outcome, 'accept');
  assert.equal((await validator.validateUpdate(update, { from: alice.address })).reason, 'duplicate');
  validator.forgetRound(3);
  assert.equal((await validator.validateUpdate(update, { from: alice.address })).outcome, 'accept');
});
