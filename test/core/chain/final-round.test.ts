import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeFunctionData, keccak256, parseEther, toFunctionSelector, toHex, zeroHash, type Hex } from 'viem';
import { connectGradnet, createChainClients, LedgerClient, MAX_PENDING_ROUNDS, roundLedgerAbi, startDevnet, type Devnet, type GradnetChain } from '../../../core/chain/index.ts';
import { startRpcCounter, type CountedCall } from './rpc-counter.ts';

// LedgerClient.latestFinalRound on the daemon's poll loop: what it costs the RPC endpoint, counted
// on the wire between a client and a real EDR devnet.

const WINDOW_SECONDS = 100;
const IS_FINAL = toFunctionSelector('isFinal(uint256)');

/** The round ids the counted `isFinal` calls asked about. */
function isFinalRounds(calls: readonly CountedCall[]): number[] {
  return calls
    .filter((call) => call.method === 'eth_call' && call.data?.startsWith(IS_FINAL))
    .map((call) => Number(decodeFunctionData({ abi: roundLedgerAbi, data: call.data as Hex }).args?.[0]));
}

describe('LedgerClient.latestFinalRound reads only what can still be pending', () => {
  let dir: string;
  let devnet: Devnet;
  let coordinator: GradnetChain;
  let counter: Awaited<ReturnType<typeof startRpcCounter>>;
  let parent: Hex;

  async function commitRounds(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const roundId = (await coordinator.ledger.roundCount()) + 1;
      const modelHash = keccak256(toHex(`final-round model ${roundId}`));
      await coordinator.ledger.commitRound({ roundId, modelHash, parentHash: parent, updatesRoot: zeroHash, rewardsRoot: keccak256(toHex(`rewards ${roundId}`)), contributors: 1, totalSamples: 1, loss: 1, accuracy: 1, rewardBudget: parseEther('0.001') });
      parent = modelHash;
    }
  }

  /** Moves the chain's clock past the window: the rounds committed so far are final from the next block on. */
  async function windowPasses(): Promise<void> {
    await coordinator.clients.publicClient.request({ method: 'evm_increaseTime', params: [WINDOW_SECONDS + 1] } as never);
    await coordinator.clients.publicClient.request({ method: 'evm_mine', params: [] } as never);
  }

  /** A read-only ledger client whose every RPC call is counted, as a daemon that just started has. */
  async function countedLedger(): Promise<LedgerClient> {
    return new LedgerClient(await createChainClients({ rpcUrl: counter.url }), devnet.deployments.contracts.RoundLedger.address);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-final-round-'));
    devnet = await startDevnet({ port: 0, accounts: 1, deploy: { deploymentsFile: join(dir, '31337.json'), challengeWindowSeconds: WINDOW_SECONDS } });
    coordinator = await connectGradnet({ rpcUrl: devnet.rpcUrl, account: devnet.accounts[0].privateKey, deployments: devnet.deployments });
    parent = await coordinator.ledger.latestModelHash();
    counter = await startRpcCounter(devnet.rpcUrl);
  });
  after(async () => {
    await counter?.stop();
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes the round count the caller read, and searches after the latest final round it found before', async () => {
    await commitRounds(20);
    await windowPasses();
    await commitRounds(3);
    const ledger = await countedLedger();
    counter.calls.length = 0;
    assert.equal(await ledger.latestFinalRound({ roundCount: 23 }), 20);
    assert.equal(counter.calls.filter((call) => call.method === 'eth_call' && !call.data?.startsWith(IS_FINAL)).length, 0, 'roundCount is not read again');
    assert.ok(isFinalRounds(counter.calls).length <= Math.ceil(Math.log2(24)), `a binary search over 0..23 (${isFinalRounds(counter.calls).length} reads)`);

    await commitRounds(1);
    counter.calls.length = 0;
    assert.equal(await ledger.latestFinalRound({ roundCount: 24 }), 20);
    const asked = isFinalRounds(counter.calls);
    assert.ok(asked.every((round) => round > 20), `asks only rounds after the final 20 it knew (${asked.join(', ')})`);
    assert.ok(asked.length <= Math.ceil(Math.log2(24 - 20 + 1)), `a search over the 4 pending rounds only (${asked.length} reads)`);

    // Without the count, it reads it once itself.
    counter.calls.length = 0;
    assert.equal(await ledger.latestFinalRound(), 20);
    assert.equal(counter.calls.filter((call) => call.method === 'eth_call' && !call.data?.startsWith(IS_FINAL)).length, 1);
  });

  it('stays right across a void: final rounds are never undone, and the search never passes the count', async () => {
    const ledger = await countedLedger();
    assert.equal(await ledger.latestFinalRound(), 20);
    // The coordinator's commits of rounds 21..24 become final; a stale count below what is final now is clamped to it.
    await windowPasses();
    assert.equal(await ledger.latestFinalRound({ roundCount: 24 }), 24);
    assert.equal(await ledger.latestFinalRound({ roundCount: 22 }), 22, 'never a round past the count the caller read');
  });

  it(`starts a fresh client's search at roundCount − ${MAX_PENDING_ROUNDS}: the ledger never holds more pending rounds`, async () => {
    assert.equal(Number(await coordinator.clients.publicClient.readContract({ address: devnet.deployments.contracts.RoundLedger.address, abi: roundLedgerAbi, functionName: 'MAX_PENDING_ROUNDS' })), MAX_PENDING_ROUNDS);
    await commitRounds(MAX_PENDING_ROUNDS + 16 - (await coordinator.ledger.roundCount()));
    const count = await coordinator.ledger.roundCount();
    const ledger = await countedLedger();
    counter.calls.length = 0;
    // Automined blocks are at least a second apart: the earlier of these commits are final by now.
    const final = await ledger.latestFinalRound({ roundCount: count });
    assert.ok(await coordinator.ledger.isFinal(final));
    assert.equal(await coordinator.ledger.isFinal(final + 1), false);
    const asked = isFinalRounds(counter.calls);
    assert.ok(asked.every((round) => round >= count - MAX_PENDING_ROUNDS), `asks nothing at or below round ${count - MAX_PENDING_ROUNDS} (${asked.join(', ')})`);
  });
});
