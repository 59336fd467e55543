import { formatEther, type Address, type Hex } from 'viem';
import { startDevnet, type Devnet } from '../../core/chain/index.ts';
import type { DatasetName, ModelName } from '../../core/ml/index.ts';
import { chosenGenesis } from './genesis.ts';

export interface DevnetFlags {
  host: string;
  port: number;
  accounts: number;
  fund: bigint;
  coordinator?: Address;
  genesisHash?: Hex;
  model?: ModelName;
  modelSeed?: number;
  dataset?: DatasetName;
  minStake?: bigint;
  unbondingPeriod?: number;
  challengeWindow?: number;
  deployments?: string;
}

/** `gradnet devnet`: a local chain with gradnet deployed, until SIGINT/SIGTERM. */
export async function runDevnet(flags: DevnetFlags): Promise<void> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // The real genesis of the model the coordinator trains by default, so devnet -> coordinator -> daemon needs no flag.
    const genesis = chosenGenesis(flags);
    let devnet: Devnet;
    try {
      devnet = await startDevnet({
        host: flags.host,
        port: flags.port,
        accounts: flags.accounts,
        fundAmount: flags.fund,
        // A block a second: rounds become final on an idle chain too (views read block time).
        blockIntervalMs: 1_000,
        deploy: {
          coordinator: flags.coordinator,
          genesisModelHash: genesis.hash,
          minStake: flags.minStake,
          unbondingPeriodSeconds: flags.unbondingPeriod,
          challengeWindowSeconds: flags.challengeWindow,
          deploymentsFile: flags.deployments,
        },
        signal: controller.signal,
      });
    } catch (error) {
      // Ctrl-C during start-up is not a failure to report.
      if (controller.signal.aborted) return;
      throw error;
    }
    printDevnet(devnet, flags.fund, genesis);
    await devnet.closed;
    process.stdout.write('devnet stopped\n');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function printDevnet(devnet: Devnet, fund: bigint, genesis: { hash: Hex; from: string }): void {
  const { host, port } = devnet.listening;
  const wildcard = host === '0.0.0.0' || host === '::';
  const lines = [
    `gradnet devnet: JSON-RPC ${devnet.rpcUrl} (chain ${devnet.chainId})`,
    ...(wildcard ? [`listening on ${host}:${port}: other hosts use http://<this host's address>:${port}`] : []),
    `genesis model hash: ${genesis.hash} (${genesis.from})`,
    `address book: ${devnet.deploymentsFile}`,
    ...Object.entries(devnet.deployments.contracts).map(([name, c]) => `  ${name.padEnd(13)} ${c.address}`),
    '',
    `DEV-ONLY accounts (Hardhat's public test keys — never use them on a real network), ${formatEther(fund)} GRAD each:`,
    ...devnet.accounts.map((a) => `  #${String(a.index).padEnd(3)} ${a.address}  ${a.privateKey}`),
    '',
    'press Ctrl-C to stop',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
