export { createLogger, type Logger, type LoggerOptions, type LogLevel, type LogFormat } from './logger.ts';
export { silentLogger, type StructuredLogger } from './port.ts';
export { startProgress, type Progress, type ProgressOptions } from './progress.ts';
