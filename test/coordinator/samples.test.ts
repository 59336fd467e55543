import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { generatePrivateKey } from 'viem/accounts';
import { ChainInputError } from '../../core/chain/index.ts';
import { createGossipValidator, encodeUpdate, nodeKeyAddress, signUpdate } from '../../core/protocol/index.ts';
import { encodeDelta } from '../../core/tensor/index.ts';
import { updateValidationContext } from '../../coordinator/adapters.ts';
import { maxSamplesPerUpdate, parseCoordinatorConfig } from '../../coordinator/config.ts';
import { ChainStateError, RoundInputError } from '../../coordinator/errors.ts';
import { aggregateRound } from '../../coordinator/round-effects.ts';
import { totalSamplesOf } from '../../coordinator/round-work.ts';
import { RoundRunner } from '../../coordinator/runner.ts';
import { GENESIS, runnerFixture } from './fakes.ts';
import { hash, result, update } from './rows.ts';

// Issue 11, 3.3: an update claiming 2^53 - 1 samples made commitRound fail, and the failure was
// retried forever.
const HUGE = Number.MAX_SAFE_INTEGER;

describe('coordinator: sample counts are bounded, and an input error is never retried', { timeout: 20_000 }, () => {
  it("refuses on receipt an update claiming more than the round's inner steps × batch size, with the reason", async () => {
    const config = parseCoordinatorConfig({ privateKey: hash(0xc0ffee) });
    assert.equal(maxSamplesPerUpdate(config), 100 * 64, "the daemon's defaults");
    const fixture = runnerFixture();
    const domain = fixture.ports.model.domain;
    const validator = createGossipValidator({
      domain,
      directory: { isActive: async () => true },
      context: () => updateValidationContext(config, { round: 1, baseHash: GENESIS, reveal: true }, 3),
      isCoordinator: () => false,
    });
    const privateKey = generatePrivateKey();
    const claiming = async (samples: number) => {
      const payload = encodeDelta('fp32', new Float32Array([0.1, 0.2, 0.3])).payload;
      const signed = await signUpdate({ privateKey, domain, round: 1, baseModelHash: GENESIS, samples, trainLoss: 0.5, codec: 'fp32', payload });
      return validator.validateUpdate(encodeUpdate(signed, { inline: true }), { from: nodeKeyAddress(privateKey) });
    };
    const refused = await claiming(HUGE);
    assert.deepEqual([refused.outcome, refused.reason], ['reject', 'samples_exceeded']);
    assert.match((refused as { detail: string }).detail, /claims 9007199254740991 samples, more than the 6400/);
    assert.equal((await claiming(6400)).outcome, 'accept');
  });

  it('sums a round\'s samples exactly, and refuses a sum the ledger cannot record before any transaction', () => {
    assert.equal(totalSamplesOf(1, [6400, 6400, 1]), 12_801);
    assert.equal(totalSamplesOf(1, [HUGE - 1, 1]), HUGE);
    // The exact sum, not the 2^53 that adding JS numbers rounds it to.
    assert.throws(() => totalSamplesOf(7, [HUGE, 2]), (error: unknown) => error instanceof RoundInputError && /round 7's updates claim 9007199254740993 samples/.test(error.message));
  });

  it('halts, without retrying, when the chain refuses the round record as input', async () => {
    const fixture = runnerFixture({ round: { retryBaseMs: 10, retryMaxMs: 20 } });
    fixture.store.openRound(1, GENESIS, Date.now() - 1000);
    fixture.store.markAggregated(1, result(1), new Map(), [], Date.now());
    fixture.chain.commitFailures = [new ChainInputError('round record totalSamples must be an integer in [0, 9007199254740991]', HUGE + 2)];
    const runner = new RoundRunner(fixture.ports);
    const halted = once(fixture.events, 'halted');
    await runner.start({ type: 'resumeCommit', now: Date.now(), round: 1, baseHash: GENESIS, modelHash: result(1).modelHash });
    await assert.rejects(runner.ended, (error: unknown) => error instanceof ChainStateError && /retrying cannot help: round record totalSamples/.test(error.message));
    await halted;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await runner.stop();
    assert.equal(fixture.chain.calls.filter((call) => call === 'commitRound').length, 1, 'sent once, never again');
    assert.equal(fixture.chain.rounds.length, 0);
    assert.match(fixture.store.getRound(1)?.lastError ?? '', /totalSamples/);
  });

  it('sets aside, before aggregating, a stored update claiming more samples than a round allows', async () => {
    const fixture = runnerFixture({ training: { innerSteps: 10, batchSize: 10 } });
    fixture.store.openRound(1, GENESIS, Date.now());
    const honest = update(1, 1, 11);
    const greedy = { ...update(1, 2, 12), samples: HUGE };
    for (const row of [honest, greedy]) fixture.store.insertUpdate(row);
    const closedWith = [honest, greedy].map((row) => ({ nodeKey: row.nodeKey!, digest: row.digest! }));
    // The fake checkpoint store has no model, so aggregation itself fails after the check.
    await aggregateRound(fixture.ports, { type: 'aggregate', round: 1, baseHash: GENESIS, updates: closedWith, reason: 'all-revealed' });
    const reasons = new Map(fixture.store.roundUpdates(1).map((row) => [row.digest, row.reason]));
    assert.equal(reasons.get(greedy.digest), 'samples_exceeded');
    assert.equal(reasons.get(honest.digest), 'aggregation_failed');
  });
});
