import pino, { type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

export interface LoggerSettings {
  level?: string;
  /** Service name on every line: "api", "worker", "local". */
  service: string;
}

/**
 * The one logger factory. JSON lines always (pretty printing belongs to the reader:
 * pipe through `pino-pretty` locally); child loggers add requestId / jobId / generationId.
 */
export function createLogger(
  settings: LoggerSettings,
  destination?: pino.DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    base: { service: settings.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["req.headers.authorization", "*.apiKey", "apiKey"], censor: "[redacted]" },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
