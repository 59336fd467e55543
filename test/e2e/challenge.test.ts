import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getAddress, keccak256, parseEther, toHex, type Address, type Hex } from 'viem';
import { connectGradnet, roundChallengesAbi, type GradnetChain, type RoundRecord } from '../../core/chain/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { waitFor } from '../../core/process/index.ts';
import { buildRewardsTree, rewardProof, type RewardsTree } from '../../core/rewards/index.ts';
import { sleep } from '../../core/time/index.ts';
import { ledgerRecordOf } from '../../coordinator/commit.ts';
import type { RoundRow } from '../../coordinator/store.ts';
import { Topology } from '../support/topology.ts';
import { parseVerdicts } from '../../cli/support/verdicts.ts';

const logger = createLogger({ name: 'e2e-challenge', level: process.env.GRADNET_E2E_VERBOSE === '1' ? 'debug' : 'warn' });

/** A round as the coordinator's API shows it (GET /rounds/:round). */
interface ApiRound {
  round: number;
  state: string;
  baseHash: Hex;
  modelHash: Hex | null;
  updatesRoot: Hex | null;
  rewardsRoot: Hex | null;
  contributors: number | null;
  totalSamples: number | null;
  loss: number | null;
  accuracy: number | null;
  rewardBudget: string | number | null;
}

/** What one attack did: the round it forged, the honest record it replaced, and the chain's answer. */
interface Attack {
  /** The last round before the attack (final when the forged one landed). */
  head: number;
  target: number;
  honest: RoundRecord;
  forged: RoundRecord;
  bondBefore: bigint;
  vaultBefore: bigint;
}

/**
 * Two attacks by a coordinator that goes wrong, on one network of real processes (a devnet, the
 * coordinator, 3 auditing daemons): the test plays the coordinator's key through core/chain's
 * LedgerClient, no test-only path in the coordinator. To put its forged commit in first, it holds
 * back the coordinator's own transactions at the RPC relay (their nonce and gas reads name its
 * address) until the forged round is on chain; the coordinator then finds a round it did not
 * produce and carries on as it would after any such surprise.
 */
describe('challenges end to end: a wrong commit is caught by the auditors, voided and punished', { timeout: 420_000 }, () => {
  let topology: Topology;
  let coordinatorChain: GradnetChain;
  let window = 0;

  before(async () => {
    topology = await Topology.start({ logger, peers: 3, innerSteps: 20, round: { retryBaseMs: 200, retryMaxMs: 1000 } });
    coordinatorChain = await connectGradnet({ rpcUrl: topology.rpcUrl, deploymentsFile: topology.deploymentsFile, account: topology.coordinatorKey.privateKey });
    window = await coordinatorChain.ledger.challengeWindow();
  });

  after(async () => {
    if (topology === undefined) return;
    // GRADNET_E2E_DUMP=DIR keeps every process's log lines, to see what a failed run did.
    const dump = process.env.GRADNET_E2E_DUMP;
    if (dump !== undefined) {
      await mkdir(dump, { recursive: true });
      await writeFile(join(dump, 'coordinator.jsonl'), topology.coordinatorLog.map((line) => JSON.stringify(line)).join('\n'));
      for (const peer of topology.peers) await writeFile(join(dump, `${peer.name}.jsonl`), (peer.daemon?.lines ?? []).map((line) => JSON.stringify(line)).join('\n'));
    }
    await topology.stop();
  });

  /** The honest record of `round` once the coordinator has aggregated it (its API has the result before the commit). */
  async function aggregated(round: number): Promise<RoundRecord> {
    const row = await waitFor(`the coordinator to aggregate round ${round}`, async () => {
      const found = await topology.apiGet<ApiRound>(`/rounds/${round}`);
      return found?.modelHash ? found : undefined;
    }, { timeoutMs: 120_000, pollMs: 200 });
    return ledgerRecordOf({ ...row, modelHash: row.modelHash ?? undefined, rewardBudget: BigInt(row.rewardBudget ?? 0) } as unknown as RoundRow);
  }

  /**
   * The coordinator's key commits `forge(honest)` as the next round instead of the coordinator's
   * honest one, once the round before it is final; then the coordinator's transactions flow again.
   */
  async function attack(forge: (honest: RoundRecord) => Promise<RoundRecord>): Promise<Attack> {
    const coordinator = topology.coordinatorKey.address.toLowerCase();
    topology.relay.refuse = (body) => body.toLowerCase().includes(`"${coordinator}"`);
    try {
      await sleep(1500); // a commit already sent lands
      const head = await topology.roundCount();
      const target = head + 1;
      const honest = await aggregated(target);
      const finalAt = (await coordinatorChain.ledger.committedAt(head)) + window;
      await sleep(Math.max(0, finalAt * 1000 - Date.now()) + 1000);
      const forged = await forge(honest);
      const [bondBefore, vaultBefore] = await Promise.all([
        coordinatorChain.challenges.bondOf(topology.coordinatorKey.address),
        coordinatorChain.token.balanceOf(coordinatorChain.vault.address),
      ]);
      await coordinatorChain.ledger.commitRound(forged);
      assert.equal(await coordinatorChain.ledger.isFinal(head), true, `round ${head}, the head the network must resume from, is final`);
      return { head, target, honest, forged, bondBefore, vaultBefore };
    } finally {
      topology.relay.refuse = undefined;
    }
  }

  /** Waits for the forged commit to be voided; returns the RoundChallenged event that did it. */
  async function challenged(attack: Attack): Promise<{ challenger: Address; bondSlashed: bigint; challengerShare: bigint; throughRound: bigint; verdicts: bigint }> {
    const { publicClient } = coordinatorChain.clients;
    await waitFor(`round ${attack.target} to be voided by the auditors' challenge`, async () => {
      const voided = await coordinatorChain.ledger.listVoidedRounds();
      return voided.some((round) => round.roundId === attack.target && round.modelHash === attack.forged.modelHash && round.rewardsRoot === attack.forged.rewardsRoot) || undefined;
    }, { timeoutMs: 90_000, pollMs: 250 });
    const events = await publicClient.getContractEvents({ address: coordinatorChain.challenges.address, abi: roundChallengesAbi, eventName: 'RoundChallenged', fromBlock: 0n, strict: true });
    const event = events.filter((entry) => Number(entry.args.roundId) === attack.target).at(-1);
    assert.ok(event, `a RoundChallenged event for round ${attack.target}`);
    return event.args;
  }

  /** The network carries on: round `target` is committed again on the head's model, and the round after it too. */
  async function resumed(attack: Attack): Promise<RoundRecord> {
    await topology.waitForRounds(attack.target + 1, 120_000);
    const [head, again] = await Promise.all([coordinatorChain.ledger.getRound(attack.head), coordinatorChain.ledger.getRound(attack.target)]);
    assert.equal(again.parentHash, head.modelHash, `round ${attack.target} was committed again on round ${attack.head}'s model`);
    assert.equal(topology.coordinatorLog.some((line) => line.msg === 'coordinator stopping on an error'), false, 'the coordinator never halted');
    return again;
  }

  async function assertPunished(attack: Attack, event: Awaited<ReturnType<typeof challenged>>): Promise<void> {
    const nodeKeys = topology.peers.map((peer) => getAddress(peer.node.address));
    assert.ok(nodeKeys.includes(getAddress(event.challenger)), `the challenge came from an auditing daemon (${event.challenger})`);
    assert.ok(event.verdicts >= 2n, `at least a third of the stake stood against it (${event.verdicts} verdicts)`);
    assert.equal(event.bondSlashed, attack.bondBefore, 'the whole bond is slashed');
    assert.equal(event.challengerShare, (attack.bondBefore * BigInt(await coordinatorChain.challenges.challengerShareBps())) / 10_000n);
    assert.equal(await coordinatorChain.challenges.bondOf(topology.coordinatorKey.address), 0n);
    assert.ok(attack.bondBefore > 0n, 'there was a bond to slash');
    const vaultAfter = await coordinatorChain.token.balanceOf(coordinatorChain.vault.address);
    assert.equal(vaultAfter, attack.vaultBefore + attack.bondBefore - event.challengerShare, 'the rest of the bond went to the vault');
  }

  it('(a) a wrong model hash: the auditors cannot have that model, challenge the round, it is voided, the bond slashed, and the network resumes', async () => {
    // A hash no honest replay gives and no peer can serve: the auditors' verdicts are `unavailable`,
    // which count against the round like `mismatch`.
    const done = await attack(async (honest) => ({ ...honest, modelHash: keccak256(toHex(`not the model of round ${honest.roundId}`)) }));
    await assertPunished(done, await challenged(done));
    // What an operator would hand to `gradnet challenge --verdicts`: one daemon's log holds its own verdict and those it heard.
    const log = (topology.peers[0].daemon?.lines ?? []).map((line) => JSON.stringify(line)).join('\n');
    const logged = parseVerdicts(log, 'peer-1 log').filter((verdict) => verdict.round === done.target && verdict.modelHash === done.forged.modelHash);
    assert.ok(new Set(logged.map((verdict) => verdict.nodeKey)).size >= 2, `peer-1's log holds ${logged.length} verdicts on the forged round`);
    const again = await resumed(done);
    assert.equal(again.modelHash, done.honest.modelHash, 'the round committed again is the honest aggregate');
  });

  it('(b) a rewards root that pays the coordinator: caught on the rewards root, voided, the bond slashed, nothing of it claimable', async () => {
    // A new bond for the coordinator (the first attack took it): anyone may post one.
    const funder = await connectGradnet({ rpcUrl: topology.rpcUrl, deploymentsFile: topology.deploymentsFile, account: topology.peers[0].owner.privateKey });
    await funder.challenges.postBond(parseEther('10'));
    const coordinator = topology.coordinatorKey.address;
    // The whole round's budget to the coordinator: within what the vault may pay in total, so only finality stands in the way.
    const selfPaying = (budget: bigint): RewardsTree => {
      const tree = buildRewardsTree(new Map([[coordinator, { reward: budget, samples: 1n, rounds: 1n }]]));
      assert.ok(tree);
      return tree;
    };
    const done = await attack(async (honest) => ({ ...honest, rewardsRoot: selfPaying(honest.rewardBudget).root as Hex }));
    const proof = rewardProof(selfPaying(done.honest.rewardBudget), coordinator);
    assert.ok(proof);
    const claim = { roundId: done.target, ...proof };
    await assert.rejects(coordinatorChain.vault.claim(claim), /RoundNotFinal/, 'a pending round pays nothing');

    const event = await challenged(done);
    await assertPunished(done, event);
    const again = await resumed(done);
    assert.equal(again.modelHash, done.forged.modelHash, 'the model was right all along: it is committed again');
    assert.notEqual(again.rewardsRoot, done.forged.rewardsRoot, 'with the honest rewards root');
    await assert.rejects(coordinatorChain.vault.claim(claim), 'the self-paying leaf of the voided round claims nothing');
    assert.equal((await coordinatorChain.vault.claimed(coordinator)).reward, 0n);
    assert.ok(topology.coordinatorLog.some((line) => /voided by a challenge; carrying on/.test(String(line.msg))), 'the coordinator, which had taken the forged round as its own, carried on from the head');
  });
});
