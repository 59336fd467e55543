/** The logging port the runners (coordinator, daemon) take: pino's shape, fields first. */
export interface StructuredLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything, for runners given none. */
export const silentLogger: StructuredLogger = { debug() {}, info() {}, warn() {}, error() {} };
