import { chainConfigSchema } from '../../core/config/index.ts';
import { errorMessage } from '../../core/errors.ts';
import { createLogger } from '../../core/log/index.ts';
import { startExplorer } from '../../explorer/index.ts';
import { readSettings } from '../support/settings.ts';

export type ExplorerFlags = { host: string; port: number } & Record<string, unknown>;

/** `gradnet explorer`: serves the page until SIGINT or SIGTERM. */
export async function runExplorer(flags: ExplorerFlags): Promise<void> {
  const { host, port, ...chainFlags } = flags;
  const config = readSettings(chainConfigSchema, chainFlags);
  const logger = createLogger({ name: 'explorer', level: config.logLevel, format: config.logFormat });
  const explorer = await startExplorer({
    rpcUrl: config.rpcUrl,
    deploymentsFile: config.deployments,
    coordinatorUrl: config.coordinatorUrl,
    host,
    port,
    onError: (error) => logger.warn({ err: errorMessage(error) }, 'explorer poll failed; retrying'),
  });
  logger.info({ url: explorer.url, rpcUrl: config.rpcUrl, coordinatorUrl: config.coordinatorUrl ?? null }, 'explorer running');
  process.stdout.write(`explorer at ${explorer.url} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await explorer.close();
}
