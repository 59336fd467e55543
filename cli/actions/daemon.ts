import { daemonConfigSchema } from '../../core/config/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { createPeerDaemon } from '../../node/index.ts';
import { readSettings } from '../support/settings.ts';

/** `gradnet daemon`: runs the peer until SIGINT/SIGTERM. */
export async function runDaemon(options: Record<string, unknown>): Promise<void> {
  // commander sets audit=true unless --no-audit; only an explicit --no-audit should override env/file.
  const config = readSettings(daemonConfigSchema, { ...options, audit: options.audit === false ? false : undefined });
  const logger = createLogger({ name: 'daemon', level: config.logLevel, format: config.logFormat });
  let lostStanding: (() => void) | undefined;
  const daemon = await createPeerDaemon(config, {
    logger,
    interactive: true,
    // The node was slashed, exited or replaced: the daemon has stopped and logged the fix; exit 1.
    onStandingLost: () => {
      process.exitCode = 1;
      lostStanding?.();
    },
  });
  await daemon.start();
  await new Promise<void>((resolve) => {
    lostStanding = resolve;
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, `received ${signal}; stopping`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      daemon.stop().then(resolve, (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'daemon did not stop cleanly');
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
