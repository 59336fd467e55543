import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGossipValidator, encodeCommitment, encodeUpdate, signCommitment, updateDigest } from '../../core/protocol/index.ts';
import { UpdateWindowSource } from '../../node/gossip.ts';
import { BASE_MODEL, DOMAIN, MemoryDirectory, PARAMETERS, makeUpdate, newNodeKey, smallDelta } from '../core/protocol/fixtures.ts';

const [alice, bob, carol] = [newNodeKey(), newNodeKey(), newNodeKey()];
const directory = new MemoryDirectory();
for (const node of [alice, bob, carol]) directory.active.add(node.address);

test("a relay validates a round's updates with exactly the bounds the coordinator announced for it", async () => {
  const window = new UpdateWindowSource();
  const validator = createGossipValidator({ domain: DOMAIN, directory, context: () => window.current(), isCoordinator: () => true });
  const validate = async (update: Awaited<ReturnType<typeof makeUpdate>>) => (await validator.validateUpdate(encodeUpdate(update, { inline: true }), { from: update.nodeKey })).reason;
  // Norm about 5.6: under the daemon's old bound (1000), over the coordinator's (2).
  const large = await makeUpdate(alice, { codec: 'fp32', delta: smallDelta(1, PARAMETERS, 0.25) });
  window.set({ round: 3, baseModelHash: BASE_MODEL, parameterCount: PARAMETERS });
  assert.equal(await validate(large), 'no_context', 'nothing is relayed before the coordinator announced the round');
  window.announce({ round: 2, baseModelHash: BASE_MODEL, deadline: 0, reveal: true, maxUpdateNorm: 2, maxSamples: 640 });
  assert.equal(await validate(large), 'no_context', 'the announcement of another round does not apply');
  window.announce({ round: 3, baseModelHash: BASE_MODEL, deadline: 0, reveal: true, maxUpdateNorm: 2, maxSamples: 640 });
  assert.equal(await validate(large), 'norm_exceeded', 'refused here as the coordinator would: never relayed');
  assert.equal(await validate(await makeUpdate(bob, { codec: 'fp32', delta: smallDelta(2), samples: 641 })), 'samples_exceeded');
  assert.equal(await validate(await makeUpdate(carol, { codec: 'fp32', delta: smallDelta(3) })), 'valid');
  const late = await signCommitment({ privateKey: alice.privateKey, domain: DOMAIN, round: 3, baseModelHash: BASE_MODEL, updateDigest: updateDigest(large, DOMAIN) });
  assert.equal((await validator.validateCommitment(encodeCommitment(late), { from: alice.address })).reason, 'commit_late', 'the reveal is open: a commitment is not relayed');
});
