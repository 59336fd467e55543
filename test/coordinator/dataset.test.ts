import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCoordinator, CoordinatorConfigError, type CoordinatorConfigInput } from '../../coordinator/index.ts';
import { startTestNetwork, type TestNetwork } from './harness.ts';

/**
 * The dataset is part of the model: a coordinator configured for another dataset than the one the
 * ledger's genesis was built for refuses to start, also after a restart when the genesis
 * checkpoint is already on its disk (it would otherwise score the network's model on other data).
 */
describe('coordinator: the configured dataset must be the genesis model\'s', { timeout: 120_000 }, () => {
  let network: TestNetwork;
  let config: CoordinatorConfigInput;

  before(async () => {
    network = await startTestNetwork({ owners: 0 });
    config = {
      privateKey: network.coordinatorKey,
      rpcUrl: network.devnet.rpcUrl,
      deployments: network.devnet.deploymentsFile,
      dataDir: join(network.dir, 'coordinator'),
      api: { port: 0 },
      listen: ['/ip4/127.0.0.1/tcp/0'],
    };
  });
  after(async () => {
    await network?.stop();
  });

  async function startWith(dataset: 'mnist' | 'fashion-mnist'): Promise<void> {
    const coordinator = createCoordinator({ ...config, dataset }, {});
    try {
      await coordinator.start();
    } finally {
      await coordinator.stop();
    }
  }

  const refusal = (error: unknown): boolean => {
    assert.ok(error instanceof CoordinatorConfigError, `expected a CoordinatorConfigError, got ${String(error)}`);
    assert.match(error.message, /"dataset":"fashion-mnist".*set model, dataset and modelSeed as they were at deploy/);
    return true;
  };

  it('refuses a dataset the ledger\'s genesis was not built for, before and after the genesis is on disk', async () => {
    await assert.rejects(startWith('fashion-mnist'), refusal);
    await startWith('mnist');
    await assert.rejects(startWith('fashion-mnist'), refusal, 'a restart with another dataset is refused even though the genesis checkpoint is held');
  });
});
