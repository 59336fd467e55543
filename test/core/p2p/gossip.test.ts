import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, toHex } from 'viem';
import { encodeDelta } from '../../../core/tensor/index.ts';
import {
  contentHash,
  createGossipValidator,
  encodeUpdate,
  signUpdate,
  type SignedUpdate,
  type GossipValidator,
  type ValidationContext,
  type ValidationReason,
} from '../../../core/protocol/index.ts';
import { BlobFetchError, createGradnetNode, type GradnetNode, type UpdateEvent } from '../../../core/p2p/index.ts';
import { BASE_MODEL, DOMAIN, LEDGER, MemoryDirectory, makeUpdate, newNodeKey, smallDelta, type TestNode } from '../protocol/fixtures.ts';

const PARAMETERS = 1000;
const LARGE_PARAMETERS = 300_000; // fp32: 1.2 MB, above the 1 MiB inline limit
let current: ValidationContext = { round: 3, baseModelHash: BASE_MODEL, parameterCount: PARAMETERS, maxNorm: 10 };
const directory = new MemoryDirectory();
const coordinators = new Set<string>();

interface Peer {
  key: TestNode;
  node: GradnetNode;
  validator: GossipValidator;
  updates: UpdateEvent[];
}

const started: GradnetNode[] = [];

async function startPeer(options: { registered?: boolean; bootstrap?: string[] } = {}): Promise<Peer> {
  const key = newNodeKey();
  if (options.registered ?? true) directory.active.add(key.address);
  const validator = createGossipValidator({ domain: DOMAIN, directory, context: () => current, isCoordinator: (address) => coordinators.has(address) });
  const node = createGradnetNode({ privateKey: key.privateKey, chainId: DOMAIN.chainId, ledger: LEDGER, validator, bootstrap: options.bootstrap });
  started.push(node);
  await node.start({ signal: AbortSignal.timeout(30_000) });
  const updates: UpdateEvent[] = [];
  node.on('update', (event) => updates.push(event));
  return { key, node, validator, updates };
}

async function until(condition: () => boolean, what: string | (() => string), timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const rejectionCount = async (peer: Peer): Promise<number> =>
  Object.entries(await peer.validator.counts())
    .filter(([key]) => !key.endsWith('/valid'))
    .reduce((sum, [, count]) => sum + count, 0);

describe('gossip over TCP loopback with 5 nodes', { timeout: 120_000 }, () => {
  const peers: Peer[] = [];

  before(async () => {
    // A hub and four spokes: spoke-to-spoke traffic is forwarded by the hub.
    peers.push(await startPeer());
    coordinators.add(peers[0].key.address);
    const hub = peers[0].node.multiaddrs();
    for (let i = 0; i < 4; i++) peers.push(await startPeer({ bootstrap: hub }));
    await peers[0].node.waitForTopicPeers('update', 4, { signal: AbortSignal.timeout(30_000) });
    for (const peer of peers.slice(1)) await peer.node.waitForTopicPeers('update', 1, { signal: AbortSignal.timeout(30_000) });
    // Let gossipsub's heartbeat graft the hub's mesh so it forwards.
    await new Promise((resolve) => setTimeout(resolve, 1500));
  });

  after(async () => {
    await Promise.allSettled(started.map((node) => node.stop()));
  });

  test('every valid update reaches every node', async () => {
    const sent: SignedUpdate[] = [];
    for (const [i, peer] of peers.entries()) {
      const update = await makeUpdate(peer.key, { delta: smallDelta(i, PARAMETERS), codec: i % 2 ? 'topk' : 'int8' });
      sent.push(update);
      const result = await peer.node.publishUpdate(update);
      assert.equal(result.inline, true);
    }
    await until(() => peers.every((peer) => peer.updates.length === peers.length - 1), 'all updates everywhere');
    for (const [i, peer] of peers.entries()) {
      const senders = new Set(peer.updates.map((event) => event.update.nodeKey));
      assert.equal(senders.has(peer.key.address), false);
      for (const [j, other] of peers.entries()) if (i !== j) assert.ok(senders.has(other.key.address), `node ${i} missed node ${j}`);
      for (const event of peer.updates) assert.equal(event.delta.length, PARAMETERS);
    }
  });

  test('heartbeats from any registered node and announcements from the coordinator reach every node', async () => {
    const heard = peers.map(() => [] as string[]);
    peers.forEach((peer, i) => {
      peer.node.on('heartbeat', (event) => heard[i].push(`heartbeat:${event.nodeKey}`));
      peer.node.on('round-open', (event) => heard[i].push(`round-open:${event.round}`));
      peer.node.on('model-announce', (event) => heard[i].push(`model-announce:${event.round}`));
    });
    const refusedAtHub: string[] = [];
    peers[0].node.on('refused', (event) => refusedAtHub.push(`${event.kind}:${event.reason}`));
    await peers[3].node.publishHeartbeat({ nodeKey: peers[3].key.address, round: 3, modelHash: BASE_MODEL, version: '0.1.0', timestamp: Date.now() });
    await peers[0].node.publishRoundOpen({ round: 3, baseModelHash: BASE_MODEL, deadline: Date.now() + 60_000, reveal: false, maxUpdateNorm: 100, maxSamples: 6400 });
    await peers[0].node.publishModelAnnounce({ round: 2, modelHash: BASE_MODEL, parentHash: BASE_MODEL, checkpointSize: 1234, deadline: 0 });
    // A node that is not the coordinator cannot open rounds.
    await peers[2].node.publishRoundOpen({ round: 99, baseModelHash: BASE_MODEL, deadline: 0, reveal: false, maxUpdateNorm: 100, maxSamples: 6400 });
    await until(
      () => peers.every((_, i) => (i === 0 ? heard[i].length === 1 : i === 3 ? heard[i].length === 2 : heard[i].length === 3)) && refusedAtHub.length === 1,
      () => `gossip of announcements (heard ${JSON.stringify(heard)}, refused ${refusedAtHub})`,
    );
    assert.deepEqual(refusedAtHub, ['round-open:not_coordinator']);
    assert.ok(heard.every((events) => !events.includes('round-open:99')));
    for (const peer of peers) peer.node.removeAllListeners('heartbeat').removeAllListeners('round-open').removeAllListeners('model-announce');
    peers[0].node.removeAllListeners('refused');
  });

  test('an update above 1 MiB travels as a blob reference and still reaches every node', async () => {
    current = { ...current, round: 4, parameterCount: LARGE_PARAMETERS, maxNorm: 1e3 };
    const before = peers.map((peer) => peer.updates.length);
    const sender = peers[1];
    const update = await makeUpdate(sender.key, { round: 4, codec: 'fp32', delta: smallDelta(7, LARGE_PARAMETERS) });
    assert.ok(update.payloadSize > 1024 * 1024);
    const result = await sender.node.publishUpdate(update);
    assert.equal(result.inline, false);
    await until(() => peers.every((peer, i) => peer === sender || peer.updates.length === before[i] + 1), 'the blob update everywhere', 20_000);
    for (const peer of peers) {
      if (peer === sender) continue;
      const event = peer.updates.at(-1)!;
      assert.equal(event.update.payloadDigest, update.payloadDigest);
      assert.equal(event.delta[12345], smallDelta(7, LARGE_PARAMETERS)[12345]);
    }
    current = { ...current, round: 5, parameterCount: PARAMETERS, maxNorm: 10 };
  });

  test('each invalid class is rejected with its reason by the first node and not forwarded', async () => {
    const gate = peers[1];
    const others = peers.filter((peer) => peer !== gate);
    const othersBefore = await Promise.all(others.map(rejectionCount));
    const updatesBefore = peers.map((peer) => peer.updates.length);
    const honest = peers[2];
    const honestUpdate = await makeUpdate(honest.key, { round: 5 });
    const cases: { reason: ValidationReason; registered?: boolean; make: (attacker: TestNode) => Promise<Uint8Array[]> }[] = [
      { reason: 'bad_signature', make: async (a) => [encodeUpdate({ ...(await makeUpdate(a, { round: 5 })), samples: 9 }, { inline: true })] },
      { reason: 'wrong_base_model', make: async (a) => [encodeUpdate(await makeUpdate(a, { round: 5, baseModelHash: keccak256(toHex('x')) }), { inline: true })] },
      { reason: 'unknown_codec', make: async (a) => [encodeUpdate({ ...(await makeUpdate(a, { round: 5 })), codec: 'lz4' as never }, { inline: true })] },
      { reason: 'from_mismatch', make: async () => [encodeUpdate(honestUpdate, { inline: true })] },
      { reason: 'unregistered_signer', registered: false, make: async (a) => [encodeUpdate(await makeUpdate(a, { round: 5 }), { inline: true })] },
      {
        reason: 'payload_digest_mismatch',
        make: async (a) => [encodeUpdate({ ...(await makeUpdate(a, { round: 5 })), payload: encodeDelta('int8', smallDelta(99, PARAMETERS)).payload }, { inline: true })],
      },
      { reason: 'wrong_length', make: async (a) => [encodeUpdate(await makeUpdate(a, { round: 5, delta: smallDelta(1, PARAMETERS - 1) }), { inline: true })] },
      { reason: 'norm_exceeded', make: async (a) => [encodeUpdate(await makeUpdate(a, { round: 5, delta: smallDelta(1, PARAMETERS, 50) }), { inline: true })] },
      {
        reason: 'non_finite',
        make: async (a) => {
          const payload = encodeDelta('fp32', smallDelta(1, PARAMETERS)).payload;
          new DataView(payload.buffer).setFloat32(5 + 4 * 17, Number.POSITIVE_INFINITY, true);
          const update = await signUpdate({ privateKey: a.privateKey, domain: DOMAIN, round: 5, baseModelHash: BASE_MODEL, samples: 1, trainLoss: 0, codec: 'fp32', payload });
          return [encodeUpdate(update, { inline: true })];
        },
      },
      {
        reason: 'equivocation',
        make: async (a) => [encodeUpdate(await makeUpdate(a, { round: 5, samples: 1 }), { inline: true }), encodeUpdate(await makeUpdate(a, { round: 5, samples: 2 }), { inline: true })],
      },
    ];
    for (const testCase of cases) {
      // A fresh attacker per class: gossipsub graylists a peer after a few invalid messages.
      const attacker = await startPeer({ registered: testCase.registered });
      const refusals: string[] = [];
      gate.node.on('refused', (event) => refusals.push(event.reason));
      await attacker.node.dial(gate.node.multiaddrs()[0], { signal: AbortSignal.timeout(20_000) });
      await attacker.node.waitForTopicPeers('update', 1, { signal: AbortSignal.timeout(20_000) });
      const recipients: number[] = [];
      for (const data of await testCase.make(attacker.key)) {
        recipients.push((await attacker.node.libp2p().services.pubsub.publish(attacker.node.topics.update, data)).recipients.length);
      }
      await until(() => refusals.includes(testCase.reason), () => `${testCase.reason} at the gate (saw ${refusals.join(',')}; sent to ${recipients})`);
      // gossipsub refreshes cached scores on its heartbeat.
      await until(() => gate.node.peerScore(attacker.node.peerId) < 0, `${testCase.reason} to lower the attacker's score`);
      gate.node.removeAllListeners('refused');
      await attacker.node.stop();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The equivocating attacker's first update was valid and is forwarded; nothing else is.
    const attackerUpdates = peers.map((peer, i) => peer.updates.length - updatesBefore[i]);
    assert.ok(attackerUpdates.every((count) => count <= 1), `deliveries ${attackerUpdates}`);
    assert.deepEqual(await Promise.all(others.map(rejectionCount)), othersBefore, 'no rejected message reached a second node');
    assert.equal(gate.validator.evidence().length, 1);
  });

  test('wire fuzz: mutated messages from a peer are never accepted anywhere', async () => {
    const attacker = await startPeer();
    const gate = peers[3];
    await attacker.node.dial(gate.node.multiaddrs()[0], { signal: AbortSignal.timeout(20_000) });
    await attacker.node.waitForTopicPeers('update', 1, { signal: AbortSignal.timeout(20_000) });
    const seed = encodeUpdate(await makeUpdate(attacker.key, { round: 5 }), { inline: true });
    // Count only what the attacker signed: a late copy of an earlier test's valid update may still arrive.
    const fromAttacker = (peer: Peer): number => peer.updates.filter((event) => event.update.nodeKey.toLowerCase() === attacker.key.address.toLowerCase()).length;
    const rejectionsBefore = await rejectionCount(gate);
    let state = 7;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    for (let i = 0; i < 200; i++) {
      const data = new Uint8Array(seed);
      for (let f = 0; f < 3; f++) data[Math.floor(random() * data.length)] ^= 1 + Math.floor(random() * 255);
      await attacker.node.libp2p().services.pubsub.publish(attacker.node.topics.update, data).catch(() => undefined);
    }
    await until(() => gate.node.peerScore(attacker.node.peerId) < 0, "the attacker's score to drop");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(peers.map(fromAttacker), peers.map(() => 0), 'no mutated message was accepted');
    assert.ok((await rejectionCount(gate)) > rejectionsBefore, 'the gate counted the rejections');
    await attacker.node.stop();
  });

  test('a blob whose bytes do not match its hash is refused; missing and oversize blobs fail clearly', async () => {
    const [forger, client, honest] = [peers[0], peers[1], peers[2]];
    const genuine = new Uint8Array(200_000).map((_, i) => i % 251);
    const hash = contentHash(genuine);
    const forged = new Uint8Array(genuine);
    forged[1000] ^= 1;
    forger.node.putBlob(forged, hash);
    await assert.rejects(client.node.fetchBlob(hash, { peers: [forger.node.peerId], signal: AbortSignal.timeout(20_000) }), (error: unknown) => {
      assert.ok(error instanceof BlobFetchError);
      assert.equal(error.attempts[0].failure, 'hash_mismatch');
      return true;
    });
    assert.equal(honest.node.putBlob(genuine), hash);
    await client.node.dial(honest.node.multiaddrs()[0], { signal: AbortSignal.timeout(20_000) });
    const fetched = await client.node.fetchBlob(hash, { peers: [forger.node.peerId, honest.node.peerId], signal: AbortSignal.timeout(20_000) });
    assert.deepEqual(fetched, genuine);
    await assert.rejects(client.node.fetchBlob(hash, { peers: [honest.node.peerId], maxBytes: 1000 }), /too_large/);
    await assert.rejects(client.node.fetchBlob(keccak256(toHex('absent')), { peers: [honest.node.peerId] }), /not_found/);
  });
});

