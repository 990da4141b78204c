import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  createLogger,
  defaultLogFormat,
  type LoggerSettings,
  traceBindings,
  traceFields,
} from "./index.ts";

/** A logger writing into an array of parsed lines. */
function capture(settings: Omit<LoggerSettings, "service"> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ service: "api", level: "trace", ...settings }, sink) };
}

describe("gcp format", () => {
  const gcp = { format: "gcp", projectId: "nb-proj" } as const;

  it.each([
    ["trace", "DEBUG"],
    ["debug", "DEBUG"],
    ["info", "INFO"],
    ["warn", "WARNING"],
    ["error", "ERROR"],
    ["fatal", "CRITICAL"],
  ] as const)("writes %s as severity %s", (level, severity) => {
    const { lines, logger } = capture(gcp);
    logger[level]({ jobId: "j1" }, "hello");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ severity, message: "hello", service: "api", jobId: "j1" });
    expect(lines[0]).not.toHaveProperty("msg");
  });

  it("carries Cloud Logging's timestamp, insertId and serviceContext, and keeps redaction", () => {
    const { lines, logger } = capture(gcp);
    logger.warn({ req: { headers: { authorization: "Bearer secret" } } }, "careful");
    const [line] = lines;
    expect(line?.timestamp).toEqual({ seconds: expect.any(Number), nanos: expect.any(Number) });
    expect(line?.["logging.googleapis.com/insertId"]).toEqual(expect.any(String));
    expect(line?.serviceContext).toEqual({ service: "api" });
    expect(JSON.stringify(line)).not.toContain("secret");
  });

  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const inCloudLogging = {
    "logging.googleapis.com/trace": "projects/nb-proj/traces/4bf92f3577b34da6a3ce929d0e0e4736",
    "logging.googleapis.com/spanId": "00f067aa0ba902b7",
    "logging.googleapis.com/trace_sampled": true,
  };

  it("maps a line's trace fields to logging.googleapis.com/trace and spanId", () => {
    const { lines, logger } = capture(gcp);
    logger.info(traceFields({ traceparent }), "traced");
    expect(lines[0]).toMatchObject(inCloudLogging);
    expect(Object.keys(lines[0] ?? {})).not.toContain("trace_id");
  });

  it("puts a request's trace on every line of its child logger", () => {
    const { lines, logger } = capture(gcp);
    const request = logger.child({ requestId: "r1", ...traceBindings(logger, { traceparent }) });
    request.child({ jobId: "j1" }).info("one");
    request.warn("two");
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ ...inCloudLogging, requestId: "r1", service: "api" });
      expect(Object.keys(line)).not.toContain("trace_id");
    }
    expect(traceBindings(logger, {})).toEqual({});
  });

  it("gives Error Reporting the stack of a logged error", () => {
    const { lines, logger } = capture(gcp);
    logger.error({ err: new Error("boom") }, "failed");
    expect(lines[0]).toMatchObject({ severity: "ERROR", err: { message: "boom" } });
    expect(String(lines[0]?.stack_trace)).toMatch(/^Error: boom\n\s+at /);
  });

  it("still honours the level", () => {
    const { lines, logger } = capture({ ...gcp, level: "warn" });
    logger.info("dropped");
    logger.warn("kept");
    expect(lines.map((l) => l.message)).toEqual(["kept"]);
  });
});

describe("json format", () => {
  it("keeps pino's level label, msg and ISO time", () => {
    const { lines, logger } = capture({ format: "json" });
    logger.warn({ apiKey: "k" }, "plain");
    expect(lines[0]).toMatchObject({
      level: "warn",
      msg: "plain",
      service: "api",
      apiKey: "[redacted]",
    });
    expect(String(lines[0]?.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(lines[0]).not.toHaveProperty("severity");
  });

  it("binds a request's trace under OpenTelemetry's names", () => {
    const { lines, logger } = capture({ format: "json" });
    logger
      .child(
        traceBindings(logger, {
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        }),
      )
      .info("x");
    expect(lines[0]).toMatchObject({
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      span_id: "00f067aa0ba902b7",
    });
  });
});

describe("defaultLogFormat", () => {
  it("is gcp on Cloud Run (services and jobs) and json elsewhere", () => {
    expect(defaultLogFormat({ K_SERVICE: "nanobanana-api" })).toBe("gcp");
    expect(defaultLogFormat({ CLOUD_RUN_JOB: "backfill" })).toBe("gcp");
    expect(defaultLogFormat({})).toBe("json");
  });
});

describe("traceFields", () => {
  it("reads W3C traceparent", () => {
    expect(
      traceFields({ traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00" }),
    ).toEqual({
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      span_id: "00f067aa0ba902b7",
      trace_flags: "00",
    });
  });

  it("falls back to X-Cloud-Trace-Context, whose span id is decimal", () => {
    expect(
      traceFields({ "x-cloud-trace-context": "105445AA7843BC8BF206B12000100000/1;o=1" }),
    ).toEqual({
      trace_id: "105445aa7843bc8bf206b12000100000",
      span_id: "0000000000000001",
      trace_flags: "01",
    });
    expect(traceFields({ "x-cloud-trace-context": "105445aa7843bc8bf206b12000100000" })).toEqual({
      trace_id: "105445aa7843bc8bf206b12000100000",
    });
  });

  it("ignores missing or malformed headers", () => {
    expect(traceFields({})).toEqual({});
    expect(traceFields({ traceparent: "00-nothex-00f067aa0ba902b7-01" })).toEqual({});
    expect(
      traceFields({ traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01" }),
    ).toEqual({});
    expect(traceFields({ "x-cloud-trace-context": "short/1;o=1" })).toEqual({});
  });
});
