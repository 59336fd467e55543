import { createLogger } from '../../core/log/index.ts';
import { runDemo } from '../demo/run.ts';
import { renderRounds, roundJson } from '../support/rounds.ts';
import { formatTokens, renderTable } from '../support/table.ts';

export interface DemoFlags {
  peers: number;
  rounds: number;
  model: 'mlp' | 'cnn';
  rpc?: string;
  deployments?: string;
  json?: boolean;
  innerSteps: number;
  learningRate: number;
  codec: 'fp32' | 'fp16' | 'int8' | 'topk';
  topkFraction?: number;
  timeout: number;
  keep?: boolean;
  explorer?: boolean;
  explorerPort: number;
  verbose?: boolean;
}

/** `gradnet demo`: runs the demo and prints its report (or one JSON object); exit 1 unless the audit matched. */
export async function runDemoAndReport(flags: DemoFlags): Promise<void> {
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
      deploymentsFile: flags.deployments,
      innerSteps: flags.innerSteps,
      learningRate: flags.learningRate,
      codec: flags.codec,
      topkFraction: flags.topkFraction,
      timeoutMs: flags.timeout * 1000,
      keep: flags.keep === true,
      explorerPort: flags.explorer === true ? flags.explorerPort : undefined,
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
      if (flags.rpc !== undefined) process.stdout.write(`address book         ${result.deploymentsFile} (gradnet rounds --rpc ${flags.rpc}${flags.deployments === undefined ? '' : ` --deployments ${flags.deployments}`} shows the demo's rounds)\n`);
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
}
