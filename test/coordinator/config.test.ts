import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCoordinatorSettings, CoordinatorConfigError, parseCoordinatorConfig } from '../../coordinator/index.ts';

const key = `0x${'ab'.repeat(32)}`;

describe('coordinator config', () => {
  it('fills every default from a private key alone', () => {
    const config = parseCoordinatorConfig({ privateKey: key });
    assert.equal(config.rpcUrl, 'http://127.0.0.1:8545');
    assert.deepEqual(config.api, { host: '127.0.0.1', port: 7070 });
    assert.equal(config.round.quorum, 3);
    assert.equal(config.round.minQuorum, 2);
    assert.equal(config.nodes.failAfterMissedRounds, 5);
    assert.deepEqual(config.training, { innerSteps: 100, batchSize: 64 });
    assert.equal(config.refusals.maxPeersPerRound, 256);
    assert.equal(config.aggregation.rule.rule, 'cosineWeighted');
    assert.equal(config.aggregation.outer.lr, 0.7);
    assert.equal(config.rewards.budgetPerRound, 100n * 10n ** 18n);
    assert.deepEqual(config.model, { name: 'mlp' });
  });

  it('takes wei as a decimal string and a rule by name', () => {
    const config = parseCoordinatorConfig({ privateKey: key, rewards: { budgetPerRound: '5000000000000000000' }, aggregation: { rule: 'median' } });
    assert.equal(config.rewards.budgetPerRound, 5n * 10n ** 18n);
    assert.equal(config.aggregation.rule.rule, 'median');
  });

  it('names the bad setting, its value and where to fix it', () => {
    assert.throws(
      () => parseCoordinatorConfig({ privateKey: key, round: { quorum: 0 } }),
      (error: unknown) => error instanceof CoordinatorConfigError && /"round\.quorum" = 0/.test(error.message),
    );
    assert.throws(
      () => parseCoordinatorConfig({ privateKey: key, api: { port: 70000 } }),
      (error: unknown) => error instanceof CoordinatorConfigError && /"api\.port" = 70000/.test(error.message),
    );
    assert.throws(() => parseCoordinatorConfig({ privateKey: key, quorum: 3 }), /Unrecognized key/, 'a misplaced setting is not silently ignored');
  });

  it('never shows a private key in an error', () => {
    assert.throws(
      () => parseCoordinatorConfig({ privateKey: '0x1234' }),
      (error: unknown) => error instanceof CoordinatorConfigError && error.message.includes('(hidden)') && !error.message.includes('0x1234'),
    );
  });

  it('checks the settings without the key, for a key loaded afterwards', () => {
    assert.equal(checkCoordinatorSettings({ round: { quorum: 2 } }).round.quorum, 2);
    assert.throws(() => checkCoordinatorSettings({ round: { deadlineMs: -1 } }), CoordinatorConfigError);
  });
});
