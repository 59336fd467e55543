import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findViolations, type NetworkSnapshot, type ViolationKind } from '../support/chaos.ts';
import { TOPOLOGY_STAKE } from '../support/topology.ts';

const OWNERS = ['0x00000000000000000000000000000000000000a1', '0x00000000000000000000000000000000000000a2'] as const;
const NODES = ['0x00000000000000000000000000000000000000b1', '0x00000000000000000000000000000000000000b2'] as const;

/** Two nodes, two committed rounds with both contributing, rewards claimed in part: every property holds. */
function healthy(): NetworkSnapshot {
  const round = (id: number) => ({
    round: id,
    commitEvents: 1,
    contributors: 2,
    accepted: NODES.map((nodeKey, index) => ({ nodeKey, digest: `0x${id}${index}` })),
    aggregated: [`0x${id}0`, `0x${id}1`],
    rewards: [{ owner: OWNERS[0], amount: 30n }, { owner: OWNERS[1], amount: 70n }],
  });
  return {
    nodes: NODES.map((nodeKey, index) => ({ name: `peer-${index + 1}`, nodeKey, active: true, stake: TOPOLOGY_STAKE })),
    slashLines: [],
    rounds: [round(1), round(2)],
    owners: [{ owner: OWNERS[0], cumulative: 60n, claimed: 60n }, { owner: OWNERS[1], cumulative: 140n, claimed: 70n }],
    totalRewardBudget: 200n,
  };
}

/** The kinds of violation `findViolations` reports once `breakIt` has broken a healthy snapshot. */
function kindsAfter(breakIt: (snapshot: NetworkSnapshot) => void): ViolationKind[] {
  const snapshot = healthy();
  breakIt(snapshot);
  return [...new Set(findViolations(snapshot).map((violation) => violation.kind))];
}

/** The chaos checks themselves: each one fires when its property is broken, and only then. */
describe('chaos property checks', () => {
  it('find nothing wrong with a healthy network', () => {
    assert.deepEqual(findViolations(healthy()), []);
  });

  it('see an honest node slashed: deactivated, stake taken, or a slash the coordinator attempted', () => {
    assert.deepEqual(kindsAfter((s) => (s.nodes[0].active = false)), ['slashed']);
    assert.deepEqual(kindsAfter((s) => (s.nodes[1].stake = TOPOLOGY_STAKE - 1n)), ['slashed']);
    assert.deepEqual(kindsAfter((s) => s.slashLines.push('equivocation: slashing the node')), ['slashed']);
  });

  it('see an update counted twice: two accepted from one node, a digest aggregated twice or never accepted, contributors off, a round committed twice', () => {
    assert.deepEqual(kindsAfter((s) => (s.rounds[0].accepted[1].nodeKey = NODES[0])), ['double-counted']);
    assert.deepEqual(kindsAfter((s) => (s.rounds[1].aggregated = ['0x20', '0x20'])), ['double-counted']);
    assert.deepEqual(kindsAfter((s) => s.rounds[1].aggregated.push('0x99')), ['double-counted']);
    assert.deepEqual(kindsAfter((s) => (s.rounds[0].contributors = 3)), ['double-counted']);
    assert.deepEqual(kindsAfter((s) => (s.rounds[1].commitEvents = 2)), ['double-counted']);
  });

  it('see a reward paid twice: the tree owing more than the rounds earned, the vault paying more than the tree, more owed than minted', () => {
    assert.deepEqual(kindsAfter((s) => (s.owners[0].cumulative += 30n)), ['overpaid']);
    assert.deepEqual(kindsAfter((s) => (s.owners[1].claimed = 141n)), ['overpaid']);
    assert.deepEqual(kindsAfter((s) => (s.totalRewardBudget = 100n)), ['overpaid']);
    // A round's rewards folded into the tree twice (say, once more after a restart), and minted once.
    assert.deepEqual(kindsAfter((s) => s.owners.forEach((owner, index) => (owner.cumulative += s.rounds[1].rewards[index].amount))), ['overpaid']);
  });
});
