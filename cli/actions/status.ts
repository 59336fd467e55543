import { chainConfigSchema } from '../../core/config/index.ts';
import { openChain } from '../support/chain.ts';
import { fetchJson } from '../support/http.ts';
import { readSettings } from '../support/settings.ts';
import { formatFixed6, formatTokens, toJson } from '../support/table.ts';
import { fromFixedPoint } from '../../core/units/index.ts';

/** `gradnet status`: the network at a glance. */
export async function showStatus(options: { json?: boolean } & Record<string, unknown>): Promise<void> {
  const config = readSettings(chainConfigSchema, options);
  const chain = await openChain(config);
  const [blockNumber, rounds, latestModelHash, nodes, minStake, totalRewards] = await Promise.all([
    chain.clients.publicClient.getBlockNumber(),
    chain.ledger.roundCount(),
    chain.ledger.latestModelHash(),
    chain.registry.listNodes(),
    chain.registry.minStake(),
    chain.ledger.totalRewardBudget(),
  ]);
  const latest = rounds > 0 ? await chain.ledger.getRound(rounds) : undefined;
  const coordinator = config.coordinatorUrl === undefined ? undefined : await fetchJson(`${config.coordinatorUrl}/status`).catch((error: Error) => ({ error: error.message }));
  const status = {
    chainId: chain.clients.chainId,
    rpcUrl: config.rpcUrl,
    blockNumber,
    contracts: Object.fromEntries(Object.entries(chain.deployments.contracts).map(([name, contract]) => [name, contract.address])),
    rounds,
    latestModelHash,
    latestAccuracy: latest === undefined ? undefined : fromFixedPoint(latest.accuracy),
    latestLoss: latest === undefined ? undefined : fromFixedPoint(latest.loss),
    nodes: { registered: nodes.length, active: nodes.filter((node) => node.active).length },
    minStake,
    totalRewards,
    coordinator,
  };
  if (options.json === true) {
    process.stdout.write(`${toJson(status)}\n`);
    return;
  }
  const lines = [
    `chain        ${status.chainId} at ${status.rpcUrl}, block ${blockNumber}`,
    ...Object.entries(status.contracts).map(([name, address]) => `${name.padEnd(13)}${address}`),
    `rounds       ${rounds} committed; latest model ${latestModelHash}`,
    latest === undefined ? 'metrics      (no round yet)' : `metrics      loss ${formatFixed6(latest.loss)}, accuracy ${(latest.accuracy / 1e4).toFixed(2)}% (round ${rounds})`,
    `nodes        ${status.nodes.active} active of ${status.nodes.registered} registered; min stake ${formatTokens(minStake, 2)}`,
    `rewards      ${formatTokens(totalRewards, 2)} minted to the vault so far`,
  ];
  if (coordinator !== undefined) lines.push(`coordinator  ${config.coordinatorUrl}: ${JSON.stringify(coordinator)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
