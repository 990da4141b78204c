import {
  AbortedError,
  ConnectionError,
  type ErrorDetails,
  errorFor,
  NanoBananaError,
} from "./errors.ts";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A request body fetch takes (BodyInit, named so it types-checks with and without the DOM lib). */
export type RequestBody = NonNullable<RequestInit["body"]>;

export interface TransportConfig {
  apiKey: string;
  baseUrl: string;
  fetch: FetchLike;
  /** Retries after the first try (429/503 always; network errors and 5xx on idempotent calls). */
  maxRetries: number;
  /** The longest wait between tries; a Retry-After longer than this is not waited out. */
  maxRetryDelayMs: number;
  /** Per request, unless the call says otherwise; streams have none. */
  timeoutMs: number;
  /** First backoff when the service names no Retry-After; doubles each try, with jitter. */
  retryBaseMs?: number;
}

export interface CallOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: RequestBody;
  contentType?: string;
  headers?: Record<string, string>;
  /** Sent as Idempotency-Key; makes a POST safe to retry after a network error. */
  idempotencyKey?: string;
  signal?: AbortSignal | undefined;
  /** This call's own limit in ms; null for none (event streams). */
  timeoutMs?: number | null;
}

/** The error an aborted signal stands for: its reason when that is ours, else AbortedError. */
export function abortError(signal: AbortSignal): NanoBananaError {
  const reason: unknown = signal.reason;
  if (reason instanceof NanoBananaError) return reason;
  return new AbortedError({ code: "ABORTED", message: "aborted by the caller", cause: reason });
}

/** Waits `ms`, or rejects at once with the signal's error when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** One signal that aborts when any of `signals` does, with that one's reason. */
export function linkSignals(...signals: Array<AbortSignal | undefined>): {
  signal: AbortSignal;
  abort: (reason?: unknown) => void;
  dispose: () => void;
} {
  const controller = new AbortController();
  const cleanups: Array<() => void> = [];
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    const onAbort = () => controller.abort(s.reason);
    s.addEventListener("abort", onAbort, { once: true });
    cleanups.push(() => s.removeEventListener("abort", onAbort));
  }
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    dispose: () => {
      for (const c of cleanups) c();
    },
  };
}

/** Retry-After as ms: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const REQUEST_TIMEOUT = Symbol("request timeout");

/**
 * HTTP to the API: the key, JSON, typed errors, and retries. What is retried:
 * - 429 and 503 always: the service did nothing with the request;
 * - 409 with Retry-After on a request with an Idempotency-Key: its first try is still running;
 * - network errors, timeouts, 500/502/504 only when the call is idempotent (GET, or a POST with
 *   an Idempotency-Key, which the service answers once however often it is sent).
 * The wait is the service's Retry-After when it names one, else exponential backoff with jitter;
 * a Retry-After longer than maxRetryDelayMs is not waited out (the error carries retryAfterMs).
 */
export class Transport {
  readonly baseUrl: string;
  constructor(readonly config: TransportConfig) {
    this.baseUrl = config.baseUrl.replace(/\/+$/, "");
  }

  url(path: string, query?: CallOptions["query"]): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ""}`;
  }

  /** A JSON call: the parsed body and the response (for its status and headers). */
  async json<T>(options: CallOptions): Promise<{ data: T; response: Response }> {
    const { response, body } = await this.call(options, "buffer");
    const text = new TextDecoder().decode(body ?? new ArrayBuffer(0));
    try {
      return { data: JSON.parse(text) as T, response };
    } catch (cause) {
      throw new NanoBananaError({
        status: response.status,
        code: "INVALID_RESPONSE",
        message: `${options.method ?? "GET"} ${options.path} answered ${response.status} with a body that is not JSON`,
        requestId: response.headers.get("x-request-id") ?? undefined,
        cause,
      });
    }
  }

  /** A call whose body the caller reads (bytes, or an event stream when timeoutMs is null). */
  async raw(options: CallOptions): Promise<{ response: Response; body: ArrayBuffer | null }> {
    return this.call(options, options.timeoutMs === null ? "stream" : "buffer");
  }

  private async call(
    options: CallOptions,
    mode: "buffer" | "stream",
  ): Promise<{ response: Response; body: ArrayBuffer | null }> {
    const method = options.method ?? "GET";
    const keyed = options.idempotencyKey !== undefined;
    const idempotent = method === "GET" || keyed;
    const url = this.url(options.path, options.query);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.config.apiKey}`,
      Accept: "application/json",
      ...options.headers,
    };
    let body: RequestBody | undefined = options.body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.contentType) {
      headers["Content-Type"] = options.contentType;
    }
    if (keyed) headers["Idempotency-Key"] = options.idempotencyKey as string;
    const timeoutMs = options.timeoutMs === undefined ? this.config.timeoutMs : options.timeoutMs;
    const { maxRetries, maxRetryDelayMs } = this.config;

    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw abortError(options.signal);
      // With a time limit, the fetch gets a signal of its own (the caller's, or the timer);
      // without one (streams), the caller's signal itself, which must outlive this call.
      const link = timeoutMs === null ? undefined : linkSignals(options.signal);
      const timer =
        link && timeoutMs !== null
          ? setTimeout(() => link.abort(REQUEST_TIMEOUT), timeoutMs)
          : undefined;
      const signal = link ? link.signal : options.signal;
      let response: Response;
      let bytes: ArrayBuffer | null = null;
      try {
        response = await this.config.fetch(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          ...(signal ? { signal } : {}),
        });
        if (mode === "buffer" || !response.ok) bytes = await response.arrayBuffer();
      } catch (cause) {
        if (options.signal?.aborted) throw abortError(options.signal);
        const timedOut = link?.signal.reason === REQUEST_TIMEOUT;
        const message = timedOut
          ? `${method} ${options.path}: no answer within ${timeoutMs} ms`
          : `${method} ${options.path}: could not reach ${this.baseUrl} (${describe(cause)})`;
        if (idempotent && attempt < maxRetries) {
          await sleep(this.backoff(attempt), options.signal);
          continue;
        }
        throw new ConnectionError({
          code: timedOut ? "TIMEOUT" : "CONNECTION_ERROR",
          message,
          cause,
          ...(keyed ? { idempotencyKey: options.idempotencyKey } : {}),
        });
      } finally {
        clearTimeout(timer);
        link?.dispose();
      }
      if (response.ok) return { response, body: bytes };

      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      const status = response.status;
      const retryable =
        status === 429 ||
        status === 503 ||
        (status === 409 && keyed && retryAfterMs !== undefined) ||
        (idempotent && (status === 500 || status === 502 || status === 504));
      if (retryable && attempt < maxRetries) {
        const delay = retryAfterMs ?? this.backoff(attempt);
        if (delay <= maxRetryDelayMs) {
          await sleep(delay, options.signal);
          continue;
        }
      }
      throw errorFromResponse(response, bytes, {
        retryAfterMs,
        method,
        path: options.path,
        idempotencyKey: options.idempotencyKey,
      });
    }
  }

  private backoff(attempt: number): number {
    const base = (this.config.retryBaseMs ?? 500) * 2 ** attempt;
    const jittered = base * (0.75 + Math.random() * 0.5);
    return Math.min(this.config.maxRetryDelayMs, Math.round(jittered));
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    const detail =
      (inner as { code?: string } | undefined)?.code ?? (inner as Error | undefined)?.message;
    return detail ? `${cause.message}: ${detail}` : cause.message;
  }
  return String(cause);
}

/** The typed error for an answer that is not 2xx, from its `{error:{code,message}}` body. */
export function errorFromResponse(
  response: Response,
  body: ArrayBuffer | null,
  context: {
    retryAfterMs?: number | undefined;
    method: string;
    path: string;
    idempotencyKey?: string | undefined;
  },
): NanoBananaError {
  const text = body ? new TextDecoder().decode(body) : "";
  let code: string | undefined;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === "string") code = parsed.error.code;
    if (typeof parsed.error?.message === "string") message = parsed.error.message;
  } catch {
    // Not our JSON (a proxy's page, a storage service's XML): keep the status.
  }
  const details: ErrorDetails & { status: number } = {
    status: response.status,
    code: code ?? `HTTP_${response.status}`,
    message:
      message ??
      `${context.method} ${context.path} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`,
    requestId: response.headers.get("x-request-id") ?? undefined,
    retryAfterMs: context.retryAfterMs,
    idempotencyKey: context.idempotencyKey,
  };
  return errorFor(details);
}
