import { Command, Option } from 'commander';
import { formatEther } from 'viem';
import { startDevnet, type Devnet } from '../../core/chain/index.ts';
import { parseAddress, parseHash, parsePort, parsePositiveInt, parseSeconds, parseTokens, reportFailure } from './chain-options.ts';

interface DevnetFlags {
  port: number;
  accounts: number;
  fund: bigint;
  coordinator?: `0x${string}`;
  genesisHash?: `0x${string}`;
  minStake?: bigint;
  unbondingPeriod?: number;
  deployments?: string;
}

/** `gradnet devnet`: a local Hardhat chain with gradnet deployed, until Ctrl-C / SIGTERM. */
export function devnetCommand(): Command {
  return new Command('devnet')
    .description('start a local Hardhat chain on 127.0.0.1, deploy gradnet, fund DEV-ONLY accounts, run until Ctrl-C')
    .option('--port <port>', 'JSON-RPC port on 127.0.0.1', parsePort, 8545)
    .option('--accounts <n>', 'DEV-ONLY accounts to unlock and fund', parsePositiveInt, 10)
    .addOption(new Option('--fund <grad>', 'GRAD minted to each account').argParser(parseTokens).default(parseTokens('10000'), '10000'))
    .option('--coordinator <address>', 'coordinator address (COORDINATOR_ROLE, SLASHER_ROLE); default account 0', parseAddress)
    .option('--genesis-hash <hash>', 'model hash of round 0 (default: a fixed placeholder)', parseHash)
    .option('--min-stake <grad>', 'minimum stake in GRAD (default 100)', parseTokens)
    .option('--unbonding-period <seconds>', 'seconds between requestExit and withdraw (default 3600)', parseSeconds)
    .option('--deployments <file>', 'where to write the address book (default deployments/31337.json)')
    .action(async (flags: DevnetFlags) => {
      const controller = new AbortController();
      const onSignal = (): void => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let devnet: Devnet;
      try {
        devnet = await startDevnet({
          port: flags.port,
          accounts: flags.accounts,
          fundAmount: flags.fund,
          deploy: {
            coordinator: flags.coordinator,
            genesisModelHash: flags.genesisHash,
            minStake: flags.minStake,
            unbondingPeriodSeconds: flags.unbondingPeriod,
            deploymentsFile: flags.deployments,
          },
          signal: controller.signal,
        });
      } catch (error) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        if (!controller.signal.aborted) reportFailure(error);
        return;
      }
      printDevnet(devnet, flags.fund);
      await devnet.closed;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stdout.write('devnet stopped\n');
    });
}

function printDevnet(devnet: Devnet, fund: bigint): void {
  const lines = [
    `gradnet devnet: JSON-RPC ${devnet.rpcUrl} (chain ${devnet.chainId})`,
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
