// Not `createRequire`: scripts/build-app.ts's banner declares that name in every bundle.
import { createRequire as requireFrom } from "node:module";
import pino, { type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/**
 * "json": pino's own lines (`level` as a label, `msg`, ISO `time`).
 * "gcp": Google Cloud Logging's structured format, from Google's
 * @google-cloud/pino-logging-gcp-config: `severity` (WARNING, ERROR, ...), which is what Cloud
 * Run's log agent reads, `message`, `timestamp`, an `insertId` that keeps order,
 * `serviceContext` and `stack_trace` for Error Reporting, and trace_id / span_id mapped to
 * `logging.googleapis.com/trace` / `spanId`.
 */
export type LogFormat = "json" | "gcp";

export interface LoggerSettings {
  level?: string;
  /** Service name on every line: "api", "worker", "local". */
  service: string;
  /** Defaults to {@link defaultLogFormat}: "gcp" on Cloud Run, "json" elsewhere. */
  format?: LogFormat;
  /**
   * gcp format only: the Google Cloud project that `logging.googleapis.com/trace` names.
   * Unset, the library detects it (GOOGLE_CLOUD_PROJECT, or Cloud Run's metadata server).
   */
  projectId?: string;
}

/**
 * The format when the caller does not choose one. Cloud Run sets K_SERVICE in every
 * service's container (CLOUD_RUN_JOB in a job's), and its log agent takes a line's severity
 * only from a `severity` field: with pino's `level`, every line would show as DEFAULT.
 */
export function defaultLogFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  return env.K_SERVICE || env.CLOUD_RUN_JOB ? "gcp" : "json";
}

/** OpenTelemetry's names for a line's trace context, which the gcp format maps. */
export interface TraceFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

type TraceMapper = (fields: TraceFields) => Record<string, unknown>;
/** On the root logger, and so inherited by its children (pino's children are Object.create). */
const traceMapper = Symbol("nanobanana.traceMapper");

/**
 * The one logger factory. JSON lines always (pretty printing belongs to the reader:
 * pipe through `pino-pretty` locally); child loggers add requestId / jobId / generationId.
 */
export function createLogger(
  settings: LoggerSettings,
  destination?: pino.DestinationStream,
): Logger {
  const common: LoggerOptions = {
    level: settings.level ?? "info",
    base: { service: settings.service },
    redact: { paths: ["req.headers.authorization", "*.apiKey", "apiKey"], censor: "[redacted]" },
  };
  const format = settings.format ?? defaultLogFormat();
  const { options, traceFor } =
    format === "gcp"
      ? gcpOptions(settings, common)
      : {
          options: {
            ...common,
            timestamp: pino.stdTimeFunctions.isoTime,
            formatters: { level: (label: string) => ({ level: label }) },
          } satisfies LoggerOptions,
          traceFor: ((fields) => ({ ...fields })) satisfies TraceMapper,
        };
  // Standard output written asynchronously: lines logged while a write is under way go out
  // together in the next one, where one write call a line cost a busy API a tenth of its time.
  // pino flushes what is left when the process exits (process.exit included), so a crash's
  // last lines still reach the log.
  const logger = pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
  Object.defineProperty(logger, traceMapper, { value: traceFor });
  return logger;
}

function gcpOptions(
  settings: LoggerSettings,
  common: LoggerOptions,
): { options: LoggerOptions; traceFor: TraceMapper } {
  // Loaded only for this format: it brings @google-cloud/logging (with its own google-gax),
  // about a second and 40 MB that processes logging plain JSON (tests, local runs) need not pay.
  const { createGcpLoggingPinoConfig } = requireFrom(import.meta.url)(
    "@google-cloud/pino-logging-gcp-config",
  ) as typeof import("@google-cloud/pino-logging-gcp-config");
  const { K_SERVICE, K_REVISION } = process.env;
  const options = createGcpLoggingPinoConfig(
    {
      // Given, so that the library does not ask the metadata server for it.
      serviceContext: {
        service: K_SERVICE || settings.service,
        ...(K_REVISION ? { version: K_REVISION } : {}),
      },
      ...(settings.projectId ? { traceGoogleCloudProjectId: settings.projectId } : {}),
      // Its one-off self-description line would be written at info whatever the level.
      inihibitDiagnosticMessage: true,
    },
    common,
  );
  // The library maps trace fields only among a line's own fields; pino never shows it a
  // child's bindings, which is where a request's trace belongs. traceBindings maps them
  // with the library's own function (and so its detected project id) instead.
  const toGcp = options.formatters?.log;
  const traceFor: TraceMapper = (fields) =>
    toGcp
      ? Object.fromEntries(Object.entries(toGcp({ ...fields })).filter(([k]) => TRACE_KEYS.has(k)))
      : { ...fields };
  return { options, traceFor };
}

const TRACE_KEYS = new Set([
  "logging.googleapis.com/trace",
  "logging.googleapis.com/spanId",
  "logging.googleapis.com/trace_sampled",
]);

type Headers = Record<string, string | string[] | undefined>;
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * Bindings that put a request's trace on every line of a child logger, in the logger's
 * format: `logging.googleapis.com/trace` etc. in gcp (Cloud Logging then shows a request's
 * lines together, under its trace), trace_id / span_id / trace_flags in json. For
 * pino-http's `customProps`, or `logger.child(traceBindings(logger, req.headers))`.
 */
export function traceBindings(logger: Logger, headers: Headers): Record<string, unknown> {
  const fields = traceFields(headers);
  if (fields.trace_id === undefined) return {};
  const map = (logger as unknown as Record<symbol, TraceMapper | undefined>)[traceMapper];
  return map ? map(fields) : { ...fields };
}

/**
 * A request's trace context from W3C `traceparent`, else Cloud Run's
 * `X-Cloud-Trace-Context`; {} when it has none (or a malformed one).
 */
export function traceFields(headers: Headers): TraceFields {
  const parent = first(headers.traceparent)
    ?.trim()
    .match(/^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/);
  if (parent?.[1] && parent[2] && parent[3] && !/^0+$/.test(parent[1])) {
    return { trace_id: parent[1], span_id: parent[2], trace_flags: parent[3] };
  }
  // TRACE_ID/SPAN_ID;o=OPTIONS, with the span id in decimal.
  const cloud = first(headers["x-cloud-trace-context"])
    ?.trim()
    .match(/^([0-9a-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/);
  if (!cloud?.[1] || /^0+$/.test(cloud[1])) return {};
  const spanId = cloud[2] ? BigInt(cloud[2]) : 0n;
  return {
    trace_id: cloud[1].toLowerCase(),
    ...(spanId > 0n && spanId < 2n ** 64n
      ? { span_id: spanId.toString(16).padStart(16, "0") }
      : {}),
    ...(cloud[3] ? { trace_flags: cloud[3] === "1" ? "01" : "00" } : {}),
  };
}
