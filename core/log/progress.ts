import cliProgress from 'cli-progress';
import type { Logger } from 'pino';

/** A unit of long work (an epoch of local training, a download) reported as it goes. */
export interface Progress {
  update(done: number, detail?: Record<string, string | number>): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  logger: Logger;
  /** Where the bar is drawn; stderr by default. */
  stream?: NodeJS.WriteStream;
}

/**
 * A progress bar on a terminal, and otherwise a debug log line each quarter of the way:
 * a bar's carriage returns would garble a log file or a parent process reading JSON.
 */
export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY === true) return terminalBar(options, stream);
  return loggedProgress(options);
}

function terminalBar(options: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${options.label} [{bar}] {percentage}% {value}/{total} {detail}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.total, 0, { detail: '' });
  return {
    update(done, detail) {
      bar.update(done, { detail: formatDetail(detail) });
    },
    stop() {
      bar.stop();
    },
  };
}

function loggedProgress(options: ProgressOptions): Progress {
  let lastQuarter = 0;
  return {
    update(done, detail) {
      const quarter = Math.floor((4 * done) / Math.max(1, options.total));
      if (quarter <= lastQuarter) return;
      lastQuarter = quarter;
      options.logger.debug({ done, total: options.total, ...detail }, `${options.label} ${done}/${options.total}`);
    },
    stop() {},
  };
}

function formatDetail(detail: Record<string, string | number> | undefined): string {
  if (!detail) return '';
  return Object.entries(detail)
    .map(([key, value]) => `${key}=${typeof value === 'number' ? Number(value.toPrecision(4)) : value}`)
    .join(' ');
}
