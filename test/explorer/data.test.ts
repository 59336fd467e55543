import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256, parseEther, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { connectGradnet, startDevnet, VERDICT_CODES, type Devnet, type GradnetChain } from '../../core/chain/index.ts';
import { gradnetDomain, signUpdate, signVerdict } from '../../core/protocol/index.ts';
import { ExplorerRequestError, openExplorer, type ExplorerData, type ExplorerHandler } from '../../explorer/index.ts';

/**
 * The explorer's reading of the chain alone (no coordinator), on a devnet where a challenge
 * voided a round that was then committed again, one node was slashed for equivocation and one
 * owner asked to exit.
 */
describe('explorer data from the chain', { timeout: 120_000 }, () => {
  let dir: string;
  let devnet: Devnet;
  let coordinator: GradnetChain;
  let data: ExplorerData;
  let handler: ExplorerHandler;
  const nodeKeys: Hex[] = ['a', 'b', 'c'].map((label) => keccak256(toHex(`explorer node ${label}`)));
  const hash = (text: string): Hex => keccak256(toHex(text));

  const commit = async (roundId: number, label: string): Promise<void> => {
    await coordinator.ledger.commitRound({
      roundId, modelHash: hash(`model ${label}`), parentHash: await coordinator.ledger.latestModelHash(), updatesRoot: hash(`updates ${label}`),
      rewardsRoot: hash(`rewards ${label}`), contributors: 3, totalSamples: 300, loss: 400_000, accuracy: 600_000 + roundId, rewardBudget: parseEther('1'),
    });
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-explorer-data-'));
    devnet = await startDevnet({ port: 0, accounts: 4, deploy: { deploymentsFile: join(dir, '31337.json'), challengeWindowSeconds: 600 } });
    const connect = (account?: Hex): Promise<GradnetChain> => connectGradnet({ rpcUrl: devnet.rpcUrl, account, deployments: devnet.deployments });
    coordinator = await connect(devnet.accounts[0].privateKey);
    for (const [index, nodeKey] of nodeKeys.entries()) {
      const owner = await connect(devnet.accounts[index + 1].privateKey);
      await owner.registryClient.register(privateKeyToAccount(nodeKey), parseEther('100'));
    }
    await commit(1, 'one');
    await commit(2, 'two, wrong');
    // Two of three equal stakes say round 2 is wrong: it is voided and the head moves back to round 1.
    const domain = gradnetDomain(coordinator.clients.chainId, coordinator.ledger.address);
    const verdicts = await Promise.all(nodeKeys.slice(0, 2).map((privateKey) => signVerdict({ privateKey, domain, round: 2, modelHash: hash('model two, wrong'), rewardsRoot: hash('rewards two, wrong'), verdict: 'mismatch' })));
    await coordinator.challenges.challengeRound(2, verdicts.map((verdict) => ({ nodeKey: verdict.nodeKey, verdict: VERDICT_CODES.mismatch, signature: verdict.signature })));
    await commit(2, 'two, right');
    // Node b signs two different updates for round 3: anyone can prove it, and its stake is taken.
    const [first, second] = await Promise.all(['one payload', 'another payload'].map((label) => signUpdate({
      privateKey: nodeKeys[1], domain, round: 3, baseModelHash: hash('model two, right'), samples: 100, trainLoss: 0.5, codec: 'fp32', payload: new TextEncoder().encode(label),
    })));
    await coordinator.registryClient.slashEquivocation(first, second);
    await (await connect(devnet.accounts[3].privateKey)).registryClient.requestExit();
    ({ data, handler } = await openExplorer({ rpcUrl: devnet.rpcUrl, deploymentsFile: devnet.deploymentsFile }));
  });

  after(async () => {
    handler?.close();
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the current commits as pending within the challenge window and the voided commit before the one that replaced it', async () => {
    const { network, rounds } = await data.overview();
    assert.equal(network.roundCount, 2);
    assert.equal(network.latestModelHash, hash('model two, right'));
    assert.deepEqual(rounds.map((round) => [round.round, round.status, round.modelHash]), [
      [2, 'pending', hash('model two, right')],
      [2, 'voided', hash('model two, wrong')],
      [1, 'pending', hash('model one')],
    ]);
    const pending = rounds[0];
    assert.ok(pending.finalAtMs !== null && pending.finalAtMs > Date.now() + 500_000, `round 2 final at ${pending.finalAtMs}`);
    assert.equal(rounds[1].finalAtMs, null);
    assert.equal(network.rewardsCommitted, parseEther('2').toString(), 'the voided round\'s budget no longer counts');
    assert.equal(network.nodes.registered, 3);
  });

  it("a round's page is its current commit, with the voided one and the challenge that voided it; a round never committed is a 404 that says where to look", async () => {
    const detail = await data.round(2);
    assert.equal(detail.summary?.modelHash, hash('model two, right'));
    assert.deepEqual(detail.voided.map((round) => round.modelHash), [hash('model two, wrong')]);
    assert.equal(detail.challenges.length, 1);
    assert.deepEqual([detail.challenges[0].round, detail.challenges[0].throughRound, detail.challenges[0].verdicts], [2, 2, 2]);
    assert.equal(detail.challenges[0].stakeAgainst, parseEther('200').toString());
    assert.equal(detail.challenges[0].challenger, devnet.accounts[0].address);
    assert.equal(detail.coordinator, null);
    assert.deepEqual((await data.round(1)).challenges, []);
    await assert.rejects(data.round(3), (error: unknown) => error instanceof ExplorerRequestError && error.status === 404 && /not committed on chain \(2 rounds are\)/.test(error.message));
  });

  it('tells the node states apart: active, slashed for equivocation, exiting once the owner asked to leave', async () => {
    const { nodes } = await data.nodes();
    assert.deepEqual(nodes.map((node) => node.state), ['active', 'slashed', 'exiting']);
    assert.deepEqual(nodes.map((node) => node.stake), [parseEther('100'), 0n, parseEther('100')].map(String));
    assert.ok(nodes.every((node) => node.liveness === null && node.claimed === '0'));
    assert.equal((await data.overview()).network.totalStaked, parseEther('200').toString());
  });

  it("an owner's page without a coordinator has its node and the claim command, and refuses a malformed address", async () => {
    const owner = devnet.accounts[1].address;
    const page = await data.owner(owner.toLowerCase());
    assert.equal(page.owner, owner);
    assert.equal(page.node?.nodeKey, privateKeyToAccount(nodeKeys[0]).address);
    assert.equal(page.statement, null);
    assert.equal(page.claimCommand, `gradnet rewards --claim --owner ${owner} --rpc ${devnet.rpcUrl} --deployments ${devnet.deploymentsFile}`);
    await assert.rejects(data.owner('0x1234'), (error: unknown) => error instanceof ExplorerRequestError && error.status === 400);
  });

  it('bumps its version and tells subscribers when a block brings a new round', async () => {
    const before = data.version;
    const heard = new Promise<number>((resolve) => {
      const unsubscribe = data.subscribe((version) => {
        unsubscribe();
        resolve(version);
      });
    });
    await commit(3, 'three');
    await data.refresh();
    assert.equal(await heard, before + 1);
    assert.equal((await data.overview()).network.roundCount, 3);
  });
});
