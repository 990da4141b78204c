import {
  AuthenticationError,
  ConnectionError,
  NanoBananaError,
  NotFoundError,
  PermissionDeniedError,
} from "./errors.ts";
import { abortError, linkSignals, sleep, type Transport } from "./http.ts";
import { EventStreamParser, readEventStream } from "./sse.ts";

/** How to follow live status: the event stream with polling as fallback, or one of them only. */
export type LiveTransport = "auto" | "sse" | "poll";

export interface LiveOptions {
  signal?: AbortSignal | undefined;
  /** Default "auto": SSE, falling back to polling when the stream is unavailable. */
  transport?: LiveTransport | undefined;
  /** Between polls when polling (default: the client's pollIntervalMs). */
  pollIntervalMs?: number | undefined;
  /** A stream silent this long (no event, no heartbeat) is reconnected. Default 45 s. */
  idleTimeoutMs?: number | undefined;
  /** Resume after this event version (sent as Last-Event-ID). */
  lastEventId?: string | undefined;
}

export interface LiveEvent<T> {
  event: string;
  /** The event's version (its SSE id); null for an update found by polling. */
  version: number | null;
  data: T;
  via: "sse" | "poll";
}

interface LiveSource<T> {
  streamPath: string;
  pollPath: string;
  pollQuery?: Record<string, string | number>;
  isFinal: (event: string) => boolean;
  /** What a polled answer says: its event name, its data, and a key that changes when it does. */
  fromPoll: (body: unknown) => { event: string; data: T; key: string };
}

/** Consecutive failed or event-less connections before "auto" gives up on the stream. */
const MAX_STREAM_FAILURES = 4;

class StreamUnavailable extends Error {}

/**
 * Live updates of a generation or a batch: over `text/event-stream` (reconnecting with
 * Last-Event-ID when the connection drops), else by polling the status route; ends after
 * the final event.
 */
export async function* follow<T>(
  transport: Transport,
  source: LiveSource<T>,
  options: LiveOptions & { defaultPollIntervalMs: number },
): AsyncGenerator<LiveEvent<T>> {
  const mode = options.transport ?? "auto";
  const signal = options.signal;
  let lastEventId = options.lastEventId;
  if (mode !== "poll") {
    let failures = 0;
    let reconnectMs = 500;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      let ended = false;
      try {
        for await (const event of streamOnce<T>(transport, source, {
          signal,
          lastEventId,
          idleTimeoutMs: options.idleTimeoutMs ?? 45_000,
          onRetry: (ms) => {
            reconnectMs = ms;
          },
        })) {
          failures = 0;
          if (event.version !== null) lastEventId = String(event.version);
          yield event;
          if (source.isFinal(event.event)) {
            ended = true;
            break;
          }
        }
      } catch (error) {
        if (signal?.aborted) throw abortError(signal);
        if (error instanceof StreamUnavailable) {
          if (mode === "sse") {
            throw new NanoBananaError({ code: "NOT_FOUND", message: error.message, cause: error });
          }
          break; // to polling
        }
        if (
          error instanceof AuthenticationError ||
          error instanceof PermissionDeniedError ||
          (error instanceof NanoBananaError &&
            !(error instanceof ConnectionError) &&
            error.status !== undefined &&
            error.status < 500 &&
            error.status !== 429)
        ) {
          throw error;
        }
        // A dropped connection or a 5xx: reconnect below.
      }
      if (ended) return;
      failures++;
      if (failures >= MAX_STREAM_FAILURES) {
        if (mode === "sse") {
          throw new ConnectionError({
            code: "CONNECTION_ERROR",
            message: `${source.streamPath}: the event stream failed ${failures} times in a row`,
          });
        }
        break; // to polling
      }
      await sleep(Math.min(reconnectMs * 2 ** (failures - 1), 10_000), signal);
    }
  }
  yield* poll(transport, source, signal, options.pollIntervalMs ?? options.defaultPollIntervalMs);
}

async function* streamOnce<T>(
  transport: Transport,
  source: LiveSource<T>,
  options: {
    signal: AbortSignal | undefined;
    lastEventId: string | undefined;
    idleTimeoutMs: number;
    onRetry: (ms: number) => void;
  },
): AsyncGenerator<LiveEvent<T>> {
  const link = linkSignals(options.signal);
  let idle: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () =>
        link.abort(
          new ConnectionError({
            code: "TIMEOUT",
            message: `${source.streamPath}: nothing for ${options.idleTimeoutMs} ms`,
          }),
        ),
      options.idleTimeoutMs,
    );
  };
  touch();
  try {
    let response: Response;
    try {
      ({ response } = await transport.raw({
        path: source.streamPath,
        headers: {
          Accept: "text/event-stream",
          ...(options.lastEventId ? { "Last-Event-ID": options.lastEventId } : {}),
        },
        signal: link.signal,
        timeoutMs: null,
      }));
    } catch (error) {
      // A service without live status answers 404 (no route), 405 or 501 here; the status
      // route then tells whether it is the route or the generation that is missing.
      if (
        error instanceof NotFoundError ||
        (error instanceof NanoBananaError && (error.status === 405 || error.status === 501))
      ) {
        throw new StreamUnavailable(`${source.streamPath}: ${error.message}`);
      }
      throw error;
    }
    const type = response.headers.get("content-type") ?? "";
    if (!type.includes("text/event-stream") || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      throw new StreamUnavailable(`${source.streamPath} answered ${type || "no body"}`);
    }
    const parser = new EventStreamParser();
    for await (const sse of readEventStream(response.body, parser, touch)) {
      if (parser.retry !== undefined) options.onRetry(parser.retry);
      let data: T;
      try {
        data = JSON.parse(sse.data) as T;
      } catch (cause) {
        throw new NanoBananaError({
          code: "INVALID_RESPONSE",
          message: `${source.streamPath}: event ${sse.event} carried data that is not JSON`,
          cause,
        });
      }
      const version = /^\d+$/.test(sse.id) ? Number(sse.id) : null;
      yield { event: sse.event, version, data, via: "sse" };
    }
  } catch (error) {
    // The idle timer aborts with a ConnectionError: rethrow that rather than a bare abort.
    if (!options.signal?.aborted && link.signal.aborted) throw abortError(link.signal);
    throw error;
  } finally {
    clearTimeout(idle);
    link.abort();
    link.dispose();
  }
}

async function* poll<T>(
  transport: Transport,
  source: LiveSource<T>,
  signal: AbortSignal | undefined,
  intervalMs: number,
): AsyncGenerator<LiveEvent<T>> {
  let lastKey: string | undefined;
  for (;;) {
    const { data } = await transport.json<unknown>({
      path: source.pollPath,
      ...(source.pollQuery ? { query: source.pollQuery } : {}),
      signal,
    });
    const update = source.fromPoll(data);
    if (update.key !== lastKey) {
      lastKey = update.key;
      yield { event: update.event, version: null, data: update.data, via: "poll" };
      if (source.isFinal(update.event)) return;
    }
    await sleep(intervalMs, signal);
  }
}
