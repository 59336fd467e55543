import { pino, type Logger, type LevelWithSilent } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

export type LogLevel = LevelWithSilent;
export type LogFormat = 'json' | 'pretty' | 'auto';

export interface LoggerOptions {
  /** Component name shown on every line (`daemon`, `demo`, ...). */
  name: string;
  level?: LogLevel;
  /** `auto` pretty-prints when stderr is a terminal and writes JSON lines otherwise. */
  format?: LogFormat;
  /** File descriptor to write to; stderr by default so that stdout stays free for command output. */
  fd?: number;
}

/**
 * Creates a pino logger writing to stderr. JSON lines for machines (and for the demo,
 * which re-reads its children's logs), pretty single lines for people at a terminal.
 * Writes are synchronous so that a line logged right before `process.exit` is not lost.
 */
export function createLogger(options: LoggerOptions): Logger {
  const fd = options.fd ?? 2;
  const level = options.level ?? 'info';
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && fd === 2 && process.stderr.isTTY === true);
  const destination = pretty
    ? pinoPretty({
        destination: fd,
        sync: true,
        colorize: process.stderr.isTTY === true,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname',
        singleLine: true,
      })
    : pino.destination({ fd, sync: true });
  return pino({ name: options.name, level, base: { pid: process.pid } }, destination);
}
