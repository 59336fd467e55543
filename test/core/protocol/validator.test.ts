import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { keccak256, toHex } from 'viem';
import { encodeDelta } from '../../../core/tensor/index.ts';
import {
  createGossipValidator,
  decodeUpdate,
  encodeHeartbeat,
  encodeModelAnnounce,
  encodeUpdate,
  gradnetDomain,
  signUpdate,
  verifyEquivocationEvidence,
  verifyUpdate,
  type SignedUpdate,
} from '../../../core/protocol/index.ts';
import { BASE_MODEL, DOMAIN, LEDGER, MemoryDirectory, PARAMETERS, context, makeUpdate, makeValidator, newNodeKey, smallDelta } from './fixtures.ts';

const alice = newNodeKey();
const mallory = newNodeKey();
const stranger = newNodeKey();
const directory = new MemoryDirectory();
directory.active.add(alice.address);
directory.active.add(mallory.address);

const inline = (update: SignedUpdate): Uint8Array => encodeUpdate(update, { inline: true });

test('a valid update is accepted with its decoded delta and signature digest', async () => {
  const validator = makeValidator(directory);
  const update = await makeUpdate(alice);
  assert.equal(await verifyUpdate(update, DOMAIN), true);
  assert.equal(await verifyUpdate(update, gradnetDomain(1, LEDGER)), false, 'another chain must not verify');
  const verdict = await validator.validateUpdate(inline(update), { from: alice.address });
  assert.equal(verdict.outcome, 'accept');
  assert.ok(verdict.outcome === 'accept' && verdict.delta.length === PARAMETERS);
  assert.equal((await validator.counts())['update/valid'], 1);
});

test('each invalid class gets its reason and outcome', async () => {
  const validator = makeValidator(directory);
  const good = await makeUpdate(alice);
  const cases: { name: string; data: Uint8Array; from?: `0x${string}`; reason: string; outcome: string }[] = [];
  cases.push({ name: 'oversize', data: new Uint8Array(1024 * 1024 + 8192), reason: 'oversize', outcome: 'reject' });
  cases.push({ name: 'garbage', data: new Uint8Array([0xff, 0xff, 0xff, 0x01]), reason: 'decode_failed', outcome: 'reject' });
  cases.push({ name: 'zero samples', data: inline({ ...good, samples: 0 }), reason: 'decode_failed', outcome: 'reject' });
  cases.push({ name: 'unknown codec', data: inline({ ...good, codec: 'zip' as never }), reason: 'unknown_codec', outcome: 'reject' });
  cases.push({ name: 'stale', data: inline(await makeUpdate(alice, { round: 2 })), reason: 'stale_round', outcome: 'ignore' });
  cases.push({ name: 'future', data: inline(await makeUpdate(alice, { round: 4 })), reason: 'future_round', outcome: 'ignore' });
  cases.push({ name: 'base', data: inline(await makeUpdate(alice, { baseModelHash: keccak256(toHex('other')) })), reason: 'wrong_base_model', outcome: 'reject' });
  cases.push({ name: 'tampered samples', data: inline({ ...good, samples: good.samples + 1 }), reason: 'bad_signature', outcome: 'reject' });
  const otherChain = await signUpdate({ privateKey: alice.privateKey, domain: gradnetDomain(1, LEDGER), round: 3, baseModelHash: BASE_MODEL, samples: 1, trainLoss: 0, codec: 'int8', payload: good.payload! });
  cases.push({ name: 'replayed from another chain', data: inline(otherChain), reason: 'bad_signature', outcome: 'reject' });
  cases.push({ name: 'relayed under another key', data: inline(good), from: mallory.address, reason: 'from_mismatch', outcome: 'reject' });
  cases.push({ name: 'stranger', data: inline(await makeUpdate(stranger)), from: stranger.address, reason: 'unregistered_signer', outcome: 'reject' });
  const swapped = await makeUpdate(mallory);
  cases.push({ name: 'payload swapped', data: inline({ ...swapped, payload: encodeDelta('int8', smallDelta(9)).payload }), from: mallory.address, reason: 'payload_digest_mismatch', outcome: 'reject' });
  const wrongLength = await makeUpdate(newNodeKeyActive(), { delta: smallDelta(1, PARAMETERS - 1) });
  cases.push({ name: 'wrong length', data: inline(wrongLength), from: wrongLength.nodeKey, reason: 'wrong_length', outcome: 'reject' });
  const nan = await signedRawPayload(new Float32Array(PARAMETERS).fill(Number.NaN));
  cases.push({ name: 'non-finite', data: inline(nan), from: nan.nodeKey, reason: 'non_finite', outcome: 'reject' });
  const huge = await makeUpdate(newNodeKeyActive(), { delta: smallDelta(1, PARAMETERS, 100) });
  cases.push({ name: 'norm', data: inline(huge), from: huge.nodeKey, reason: 'norm_exceeded', outcome: 'reject' });
  const blobOnly = await makeUpdate(newNodeKeyActive());
  cases.push({ name: 'blob without fetcher', data: encodeUpdate(blobOnly, { inline: false }), from: blobOnly.nodeKey, reason: 'payload_unavailable', outcome: 'ignore' });
  for (const testCase of cases) {
    const verdict = await validator.validateUpdate(testCase.data, { from: testCase.from ?? alice.address });
    assert.equal(verdict.reason, testCase.reason, `${testCase.name}: ${verdict.outcome !== 'accept' ? verdict.detail : ''}`);
    assert.equal(verdict.outcome, testCase.outcome, testCase.name);
  }
  const counts = await validator.counts();
  for (const testCase of cases) assert.ok(counts[`update/${testCase.reason}`] >= 1, testCase.reason);
});

/** A registered node whose fp32 payload carries whatever values we choose (encodeDelta refuses NaN). */
async function signedRawPayload(values: Float32Array): Promise<SignedUpdate> {
  const node = newNodeKeyActive();
  const payload = new Uint8Array(5 + values.length * 4);
  const view = new DataView(payload.buffer);
  view.setUint8(0, 1);
  view.setUint32(1, values.length, true);
  values.forEach((value, i) => view.setFloat32(5 + i * 4, value, true));
  return signUpdate({ privateKey: node.privateKey, domain: DOMAIN, round: 3, baseModelHash: BASE_MODEL, samples: 1, trainLoss: 0, codec: 'fp32', payload });
}

function newNodeKeyActive() {
  const node = newNodeKey();
  directory.active.add(node.address);
  return node;
}

test('an update claiming more samples than a round allows is rejected', async () => {
  const validator = createGossipValidator({ domain: DOMAIN, directory, context: () => ({ ...context(), maxSamples: 1000 }), isCoordinator: () => false });
  const verdict = await validator.validateUpdate(inline(await makeUpdate(alice, { samples: 5000 })), { from: alice.address });
  assert.equal(verdict.reason, 'samples_exceeded');
  assert.equal((await validator.validateUpdate(inline(await makeUpdate(alice, { samples: 1000 })), { from: alice.address })).outcome, 'accept');
});

test('a duplicate is ignored; a second different update in the round is equivocation with verifiable evidence', async () => {
  const validator = makeValidator(directory);
  const first = await makeUpdate(alice, { samples: 100 });
  const second = await makeUpdate(alice, { samples: 200 });
  assert.equal((await validator.validateUpdate(inline(first), { from: alice.address })).outcome, 'accept');
  assert.equal((await validator.validateUpdate(inline(first), { from: alice.address })).reason, 'duplicate');
  const verdict = await validator.validateUpdate(inline(second), { from: alice.address });
  assert.equal(verdict.reason, 'equivocation');
  assert.ok(verdict.outcome === 'reject' && verdict.evidence);
  const evidence = validator.evidence()[0];
  assert.equal(evidence.nodeKey, alice.address);
  assert.equal(await verifyEquivocationEvidence(evidence, DOMAIN), true);
  assert.equal(await verifyEquivocationEvidence({ ...evidence, second: evidence.first }, DOMAIN), false);
});

test('after a challenge a round opens again on another model: an update on the new base is no equivocation', async () => {
  let current = context(3);
  const validator = createGossipValidator({ domain: DOMAIN, directory, context: () => current, isCoordinator: () => false });
  assert.equal((await validator.validateUpdate(inline(await makeUpdate(alice)), { from: alice.address })).outcome, 'accept');
  const restored = keccak256(toHex('the model the ledger went back to'));
  current = { ...context(3), baseModelHash: restored };
  const again = await validator.validateUpdate(inline(await makeUpdate(alice, { baseModelHash: restored, samples: 300 })), { from: alice.address });
  assert.equal(again.outcome, 'accept', again.outcome === 'accept' ? '' : again.detail);
  assert.equal(validator.evidence().length, 0);
  const twice = await validator.validateUpdate(inline(await makeUpdate(alice, { baseModelHash: restored, samples: 400 })), { from: alice.address });
  assert.equal(twice.reason, 'equivocation', 'two on the same base still are');
});

test('heartbeats need their own key and registration; announcements need a coordinator', async () => {
  const coordinator = newNodeKey();
  const validator = makeValidator(directory, 3, [coordinator.address]);
  const heartbeat = encodeHeartbeat({ nodeKey: alice.address, round: 3, modelHash: BASE_MODEL, version: '0.1.0', timestamp: Date.now() });
  assert.equal((await validator.validateHeartbeat(heartbeat, { from: alice.address })).outcome, 'accept');
  assert.equal((await validator.validateHeartbeat(heartbeat, { from: mallory.address })).reason, 'from_mismatch');
  const old = encodeHeartbeat({ nodeKey: alice.address, round: 3, modelHash: BASE_MODEL, version: '0.1.0', timestamp: Date.now() - 3_600_000 });
  assert.equal((await validator.validateHeartbeat(old, { from: alice.address })).reason, 'clock_skew');
  const announce = encodeModelAnnounce({ round: 3, modelHash: BASE_MODEL, parentHash: BASE_MODEL, checkpointSize: 10, deadline: 0 });
  assert.equal((await validator.validateModelAnnounce(announce, { from: coordinator.address })).outcome, 'accept');
  assert.equal((await validator.validateModelAnnounce(announce, { from: alice.address })).reason, 'not_coordinator');
});

/** Deterministic PRNG so a failure reproduces. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 2 ** 32;
  };
}

test('fuzz: 10,000 random and mutated messages never throw and are never accepted', async () => {
  const validator = makeValidator(directory);
  const random = prng(42);
  const seeds = [inline(await makeUpdate(alice)), encodeUpdate(await makeUpdate(mallory, { codec: 'topk' }), { inline: false }), inline(await makeUpdate(mallory, { codec: 'fp16' }))];
  // The originals are valid; claim them so that byte-identical survivors count as duplicates, not accepts.
  for (const seed of seeds) await validator.validateUpdate(seed, { from: decodeUpdate(seed).nodeKey });
  const kinds = ['update', 'heartbeat', 'round-open', 'model-announce'] as const;
  let accepted = 0;
  for (let i = 0; i < 10_000; i++) {
    let data: Uint8Array;
    if (i % 4 === 0) {
      data = new Uint8Array(Math.floor(random() * 300));
      for (let j = 0; j < data.length; j++) data[j] = Math.floor(random() * 256);
    } else {
      const seed = seeds[i % seeds.length];
      data = new Uint8Array(seed);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) data[Math.floor(random() * data.length)] ^= 1 << Math.floor(random() * 8);
      if (random() < 0.2) data = data.subarray(0, Math.floor(random() * data.length));
    }
    const kind = i % 10 === 0 ? kinds[Math.floor(random() * kinds.length)] : 'update';
    const from = random() < 0.5 ? alice.address : mallory.address;
    const verdict =
      kind === 'update'
        ? await validator.validateUpdate(data, { from })
        : kind === 'heartbeat'
          ? await validator.validateHeartbeat(data, { from })
          : kind === 'round-open'
            ? await validator.validateRoundOpen(data, { from })
            : await validator.validateModelAnnounce(data, { from });
    if (verdict.outcome === 'accept') accepted++;
    assert.notEqual(verdict.reason, 'internal_error', `message ${i} crashed the validator: ${verdict.outcome !== 'accept' ? verdict.detail : ''}`);
  }
  assert.equal(accepted, 0);
});

test("counters live in the caller's prom-client registry, one series per kind and reason", async () => {
  const registry = new Registry();
  const options = { domain: DOMAIN, directory, context: () => context(), isCoordinator: () => false, registry };
  const first = createGossipValidator(options);
  const second = createGossipValidator(options);
  await first.validateUpdate(new Uint8Array([1, 2, 3]), { from: alice.address });
  await second.validateUpdate(new Uint8Array([1, 2, 3]), { from: alice.address });
  const text = await registry.metrics();
  assert.match(text, /gradnet_gossip_validation_total\{kind="update",outcome="reject",reason="decode_failed"\} 2/);
  assert.match(text, /gradnet_gossip_validation_total\{kind="heartbeat",outcome="ignore",reason="clock_skew"\} 0/);
});
