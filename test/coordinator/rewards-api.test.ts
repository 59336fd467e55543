import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { createApiSource } from '../../coordinator/api.ts';
import { cumulativeOf } from '../../coordinator/round-work.ts';
import { rewardsRoot, verifyRewardProof } from '../../core/rewards/index.ts';
import { GENESIS, runnerFixture } from './fakes.ts';
import { hash, result } from './rows.ts';

// Issue 12: /rewards/:owner served the proof of the latest committed round even while it was in
// its challenge window, which RewardVault refuses to pay against.

const ALICE: Hex = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB: Hex = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

interface Statement {
  owner: Hex;
  roundId: number;
  status: 'final' | 'pending';
  cumulativeReward: bigint;
  cumulativeSamples: bigint;
  cumulativeRounds: bigint;
  proof: Hex[];
  pending: Omit<Statement, 'pending' | 'owner'> | null;
}

/** Rounds 1..3 committed, Alice earning 10, 20 and 30 wei in them; the ledger says rounds up to `final.through` are final. */
function threeRounds() {
  const fixture = runnerFixture();
  const { store } = fixture;
  let parent = GENESIS;
  for (const round of [1, 2, 3]) {
    store.openRound(round, parent, round);
    store.markAggregated(round, result(round), new Map(), [{ owner: ALICE, amount: 10n * BigInt(round), samples: 100, counted: true, score: 1 }], round);
    store.markCommitted(round, hash(5000 + round), round);
    parent = result(round).modelHash;
  }
  const final = { through: 0, asked: [] as number[] };
  const chain = {
    isFinal: async (round: number): Promise<boolean> => {
      final.asked.push(round);
      return round <= final.through;
    },
  };
  const clock = { now: 0 };
  const api = createApiSource({ store, nodes: fixture.ports.nodes, metrics: fixture.ports.metrics, chain, live: () => ({}) as never, now: () => clock.now });
  /** The root of the cumulative tree as of `round` (what the ledger holds for it). */
  const rootAsOf = (round: number): Hex => rewardsRoot(cumulativeOf(store.rewardRowsAsOf(round)));
  return { api, final, clock, rootAsOf, rewards: async (owner: Hex) => (await api.rewards(owner)) as Statement };
}

describe('coordinator API: /rewards/:owner offers what the vault pays', () => {
  it('serves the latest final round\'s proof, with the pending round\'s marked as such', async () => {
    const { final, rootAsOf, rewards } = threeRounds();
    final.through = 2;
    const statement = await rewards(ALICE);
    assert.deepEqual([statement.roundId, statement.status, statement.cumulativeReward, statement.cumulativeRounds], [2, 'final', 30n, 2n]);
    assert.ok(verifyRewardProof(rootAsOf(2), statement), 'the proof verifies against round 2\'s root');
    assert.ok(statement.pending !== null);
    assert.deepEqual([statement.pending.roundId, statement.pending.status, statement.pending.cumulativeReward], [3, 'pending', 60n]);
    assert.ok(verifyRewardProof(rootAsOf(3), { ...statement.pending, owner: ALICE }));
  });

  it('says why there is nothing to claim while no round is final, naming what the pending round gives', async () => {
    const { rewards } = threeRounds();
    await assert.rejects(rewards(ALICE), (error: Error & { status?: number }) => error.status === 404 && /no round is final yet; round 3, still in its challenge window, gives it 60 wei/.test(error.message));
    await assert.rejects(rewards(BOB), (error: Error & { status?: number }) => error.status === 404 && /has no claimable rewards: no round is final yet$/.test(error.message));
  });

  it('once everything is final there is no pending part, and finality is searched only after what was found final before', async () => {
    const { final, clock, rewards } = threeRounds();
    final.through = 2;
    await Promise.all([rewards(ALICE), rewards(ALICE), rewards(BOB).catch(() => undefined)]);
    assert.equal(final.asked.length, 2, 'a burst of requests shares one search over rounds 1..3');
    final.through = 3;
    final.asked.length = 0;
    clock.now += 1_000;
    const statement = await rewards(ALICE);
    assert.deepEqual([statement.roundId, statement.cumulativeReward, statement.pending], [3, 60n, null]);
    assert.deepEqual(final.asked, [3], 'rounds 1 and 2 were final already');
  });
});
