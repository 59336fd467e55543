import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from '../../core/log/index.ts';
import { runDemo } from '../demo/run.ts';
import { action } from '../support/action.ts';
import { renderRounds, roundJson } from '../support/rounds.ts';
import { formatTokens, renderTable } from '../support/table.ts';

interface DemoFlags {
  peers: number;
  rounds: number;
  model: 'mlp' | 'cnn';
  rpc?: string;
  json?: boolean;
  innerSteps: number;
  learningRate: number;
  codec: 'fp32' | 'fp16' | 'int8' | 'topk';
  topkFraction: number;
  timeout: number;
  keep?: boolean;
  verbose?: boolean;
}

const integer = (min: number, max: number) => (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`"${value}" is not an integer from ${min} to ${max}`);
  return parsed;
};
const positive = (value: string): number => {
  const parsed = Number(value);
  if (!(parsed > 0) || !Number.isFinite(parsed)) throw new InvalidArgumentError(`"${value}" is not a positive number`);
  return parsed;
};

/** `gradnet demo`: the whole network on this machine, trained for a few rounds, then paid and audited. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('run a local network end to end: devnet, registered peers, coordinator and peer daemons as processes; train, commit, pay, audit')
    .option('--peers <n>', 'peer daemons to run', integer(1, 16), 3)
    .option('--rounds <n>', 'rounds to train', integer(1, 100), 5)
    .addOption(new Option('--model <name>', 'model to train').choices(['mlp', 'cnn']).default('mlp'))
    .option('--rpc <url>', 'use this dev chain (id 31337) instead of starting a devnet; contracts are deployed fresh there')
    .option('--json', 'print only one JSON object on stdout: {rounds, finalAccuracy, rewards, audit}; logs go to stderr')
    .option('--inner-steps <n>', 'local steps per round on each peer', integer(1, 100_000), 100)
    .option('--learning-rate <x>', 'local Adam learning rate', positive, 0.003)
    .addOption(new Option('--codec <codec>', 'update compression').choices(['fp32', 'fp16', 'int8', 'topk']).default('topk'))
    .option('--topk-fraction <x>', 'fraction of coordinates topk sends (error feedback keeps the rest)', positive, 0.3)
    .option('--timeout <seconds>', 'give up after this long', integer(10, 86_400), 900)
    .option('--keep', 'keep the work directory (keystores, checkpoints, databases) for inspection')
    .option('--verbose', 'forward every child process log line to stderr')
    .action(action(async (flags: DemoFlags) => {
      const logger = createLogger({ name: 'demo', level: flags.verbose === true ? 'debug' : 'info' });
      const say = (line: string): void => {
        if (flags.json === true) logger.info(line);
        else process.stdout.write(`${line}\n`);
      };
      const controller = new AbortController();
      const interrupt = (signal: NodeJS.Signals): void => {
        logger.warn({ signal }, `received ${signal}: stopping everything the demo started`);
        controller.abort(new Error(`interrupted by ${signal}`));
      };
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      try {
        const result = await runDemo({
          peers: flags.peers,
          rounds: flags.rounds,
          model: flags.model,
          rpcUrl: flags.rpc,
          innerSteps: flags.innerSteps,
          learningRate: flags.learningRate,
          codec: flags.codec,
          topkFraction: flags.topkFraction,
          timeoutMs: flags.timeout * 1000,
          keep: flags.keep === true,
          logger,
          say,
          signal: controller.signal,
        });
        if (flags.json === true) {
          const rewards = Object.fromEntries(Object.entries(result.rewards).map(([owner, amount]) => [owner, amount.toString()]));
          process.stdout.write(`${JSON.stringify({ rounds: result.rounds.map(roundJson), finalAccuracy: result.finalAccuracy, rewards, audit: result.audit })}\n`);
        } else {
          process.stdout.write(`\nRound history (RoundLedger):\n${renderRounds(result.rounds)}\n\nRewards claimed from the RewardVault:\n`);
          process.stdout.write(`${renderTable(Object.entries(result.rewards), [
            { header: 'owner', value: ([owner]) => owner },
            { header: 'GRAD', value: ([, amount]) => formatTokens(amount), align: 'right' },
          ])}\n\n`);
          process.stdout.write(`final test accuracy  ${(result.finalAccuracy * 100).toFixed(2)}% (10,000 MNIST test images)\n`);
          process.stdout.write(`audit                ${result.audit} (every round replayed by the peers from the gossiped updates)\n`);
          process.stdout.write(`finished in          ${result.seconds.toFixed(1)} s${flags.keep === true ? `; work directory kept at ${result.workDir}` : ''}\n`);
        }
        if (result.audit !== 'match') process.exitCode = 1;
      } catch (error) {
        if (controller.signal.aborted) {
          process.exitCode = 130;
          return;
        }
        throw error;
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
      }
    }));
}
