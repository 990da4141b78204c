import {
  AbortedError,
  GenerationFailedError,
  InvalidRequestError,
  NanoBananaError,
  TimeoutError,
} from "./errors.ts";
import { type FetchLike, linkSignals, type RequestBody, Transport } from "./http.ts";
import { follow, type LiveOptions, type LiveTransport } from "./live.ts";
import {
  type ApiKeyInfo,
  type BatchAccepted,
  type BatchCancelResult,
  type BatchStatus,
  type BatchSummary,
  type ClassifyResult,
  type CostReport,
  type CostSeries,
  type CostSeriesUnit,
  type CreatedApiKey,
  type EnhanceResult,
  type FeedbackResult,
  GENERATION_EVENTS,
  type GenerateInput,
  type GenerationEventName,
  type GenerationRecord,
  type GenerationStatus,
  type HistoryPage,
  type Me,
  type ModelsResponse,
  type OperationsStats,
  type Preferences,
  type Quality,
  type QueueDepths,
  TERMINAL_STATUSES,
  type TemplateStatsItem,
  type Upload,
  type WebhookTarget,
} from "./types.ts";

export const DEFAULT_BASE_URL = "http://localhost:8080";

export interface NanoBananaOptions {
  /** An API key (`Authorization: Bearer …`). */
  apiKey: string;
  /** The API's base URL. Default http://localhost:8080 (what `npm start` runs). */
  baseUrl?: string;
  /** A fetch of your own (a proxy, a test stub); default globalThis.fetch. */
  fetch?: FetchLike;
  /** Retries after the first try of one request. Default 3. */
  maxRetries?: number;
  /** The longest wait between retries; a longer Retry-After is not waited out. Default 30 s. */
  maxRetryDelayMs?: number;
  /** Per request (not streams, not the wait of `Prefer: wait`). Default 60 s. */
  timeoutMs?: number;
  /** Between polls when live status is unavailable. Default 1 s. */
  pollIntervalMs?: number;
  /** First backoff between retries when the service names no Retry-After. Default 500 ms. */
  retryBaseMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

export interface GenerateOptions extends RequestOptions {
  /**
   * Seconds (1–60) the service may hold the request for the result (`Prefer: wait=N`): the
   * finished record comes back when it is done in time, else the usual 202.
   */
  wait?: number | undefined;
  /** Default: a random UUID. Send the same key again to get the same generation back. */
  idempotencyKey?: string | undefined;
}

export interface GenerateResult {
  id: string;
  status: GenerationStatus;
  statusUrl: string;
  /** The finished record when the service answered it within `wait`; else null. */
  record: GenerationRecord | null;
  /** The key the create was sent with (retry with it to get the same id). */
  idempotencyKey: string;
  /** True when the service answered an earlier request with this key again. */
  replayed: boolean;
  /** X-Request-Id of the answer. */
  requestId: string | undefined;
}

/** One live update of a generation. */
export interface GenerationEvent {
  generationId: string;
  event: GenerationEventName;
  /** Increasing per generation (the SSE id); null when found by polling. */
  version: number | null;
  record: GenerationRecord;
  via: "sse" | "poll";
}

/** What `run()`'s onUpdate gets: first the id alone ("accepted"), then each live event. */
export type GenerationUpdate =
  | {
      generationId: string;
      event: "accepted";
      version: null;
      record: null;
      idempotencyKey: string;
    }
  | (GenerationEvent & { idempotencyKey?: string });

export interface WaitOptions extends RequestOptions {
  onUpdate?: ((update: GenerationEvent) => void) | undefined;
  /** Give up waiting after this long (the generation goes on): TimeoutError with its id. */
  timeoutMs?: number | undefined;
  transport?: LiveTransport | undefined;
}

export interface RunOptions extends RequestOptions {
  /** Called with the id as soon as the generation is accepted, then with every live update. */
  onUpdate?: ((update: GenerationUpdate) => void) | undefined;
  /** Give up waiting after this long: TimeoutError carrying generationId. */
  timeoutMs?: number | undefined;
  idempotencyKey?: string | undefined;
  transport?: LiveTransport | undefined;
}

export interface BatchEvent {
  batchId: string;
  event: "progress" | "completed";
  version: number | null;
  summary: BatchSummary;
  via: "sse" | "poll";
}

export interface BatchCreateOptions extends RequestOptions {
  /** A URL, or {url, events}: applies to every item that names none. */
  webhook?: WebhookTarget | undefined;
  /** economy: every item that names no tier goes at half price, within a day. */
  tier?: GenerateInput["tier"];
  /** Economy: finished by this ISO time, else `onDeadline` (for items that name none). */
  deadline?: string | undefined;
  onDeadline?: GenerateInput["onDeadline"];
  /** Default: a random UUID. The same key and items answer the same batch again. */
  idempotencyKey?: string | undefined;
}

export interface BatchAcceptedResult extends BatchAccepted {
  idempotencyKey: string;
  replayed: boolean;
}

export interface BatchOptions extends BatchCreateOptions {
  /** Called with the batch id and item ids as soon as the batch is accepted. */
  onAccepted?: ((accepted: BatchAcceptedResult) => void) | undefined;
  /** Counts, progress and cost so far, on every change. */
  onProgress?: ((summary: BatchSummary, event: BatchEvent) => void) | undefined;
  /** Give up waiting after this long (the batch goes on): TimeoutError with its batchId. */
  timeoutMs?: number | undefined;
  transport?: LiveTransport | undefined;
}

export interface BatchResult {
  batchId: string;
  ids: string[];
  summary: BatchSummary;
  /** Every item's record, in request order. */
  items: GenerationRecord[];
}

export interface DownloadedImage {
  bytes: Uint8Array;
  mimeType: string;
}

export interface HistoryOptions extends RequestOptions {
  /** Items per page, 1–100 (default 20). */
  limit?: number;
  /** Start after this cursor (a page's nextCursor). */
  cursor?: string;
  /** Another user's history (admin key); default "me". */
  userId?: string;
  /** Only generations with this status. */
  status?: GenerationStatus | undefined;
  /** Only generations classified in this domain ("photography", "diagrams", …). */
  domain?: string | undefined;
  /** Created on or after this day (YYYY-MM-DD or a Date, UTC). */
  from?: string | Date | undefined;
  /** Created on or before this day (YYYY-MM-DD or a Date, UTC). */
  to?: string | Date | undefined;
}

export interface CostSeriesOptions extends RequestOptions {
  /** Periods of a day, an ISO week or a month (default "day"). */
  by?: CostSeriesUnit;
  /** How many periods, up to the current one (1–366, default 30). */
  count?: number;
  /** End the series at the period holding this day instead of today. */
  date?: string | Date;
  userId?: string;
}

/** A day as the API names it: YYYY-MM-DD (UTC). */
const dayOf = (date: string | Date | undefined) =>
  date instanceof Date ? date.toISOString().slice(0, 10) : date;

/** Async-iterates every record of the history, newest first; `.pages()` gives whole pages. */
export interface HistoryIterable extends AsyncIterable<GenerationRecord> {
  pages(): AsyncIterable<HistoryPage>;
}

const isTerminal = (status: string): boolean =>
  (TERMINAL_STATUSES as readonly string[]).includes(status);

const encodeId = (id: string) => encodeURIComponent(id);

/** A random UUID, also where crypto.randomUUID is missing (browsers outside secure contexts). */
export function randomKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The event a polled record stands for: how it ended, else its stage while it runs. */
export function eventOfRecord(record: Pick<GenerationRecord, "status" | "stage">) {
  if (isTerminal(record.status) || record.status === "queued" || record.status === "submitted") {
    return record.status as GenerationEventName;
  }
  return (GENERATION_EVENTS as readonly string[]).includes(record.stage)
    ? (record.stage as GenerationEventName)
    : "queued";
}

function summaryOf(status: BatchStatus | BatchSummary): BatchSummary {
  return {
    id: status.id,
    userId: status.userId,
    total: status.total,
    counts: status.counts,
    progress: status.progress,
    cost: status.cost,
    createdAt: status.createdAt,
    completedAt: status.completedAt,
  };
}

/**
 * Gives up waiting at `timeoutMs` or the caller's signal, whichever comes first, with an error
 * that names what was being waited for (`tag` fills in generationId/batchId once known).
 */
function waitScope(options: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined }) {
  const link = linkSignals(options.signal);
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          link.abort(new TimeoutError({ code: "TIMEOUT", message: "timed out" }));
        }, options.timeoutMs);
  return {
    signal: link.signal,
    /** The error to throw: a TimeoutError or AbortedError naming the ids, else `error` itself. */
    fail(
      error: unknown,
      ids: { generationId?: string; batchId?: string; idempotencyKey?: string },
    ) {
      const what = ids.generationId
        ? `generation ${ids.generationId}`
        : ids.batchId
          ? `batch ${ids.batchId}`
          : "the request";
      const goesOn = ids.generationId || ids.batchId ? " (it goes on; follow it by its id)" : "";
      if (timedOut) {
        return new TimeoutError({
          code: "TIMEOUT",
          message: `gave up waiting for ${what} after ${options.timeoutMs} ms${goesOn}`,
          ...ids,
          cause: error,
        });
      }
      if (options.signal?.aborted) {
        return new AbortedError({
          code: "ABORTED",
          message: `stopped waiting for ${what}${goesOn}`,
          ...ids,
          cause: error,
        });
      }
      if (error instanceof NanoBananaError) {
        error.generationId ??= ids.generationId;
        error.batchId ??= ids.batchId;
        error.idempotencyKey ??= ids.idempotencyKey;
      }
      return error;
    },
    dispose() {
      clearTimeout(timer);
      link.dispose();
    },
  };
}

class Generations {
  constructor(
    private readonly transport: Transport,
    private readonly client: NanoBanana,
  ) {}

  /** GET /generation/:id/status. */
  async get(id: string, options: RequestOptions = {}): Promise<GenerationRecord> {
    const { data } = await this.transport.json<GenerationRecord>({
      path: `/generation/${encodeId(id)}/status`,
      signal: options.signal,
    });
    return data;
  }

  /** POST /generation/:id/cancel: works while it is queued (409 ConflictError once started). */
  async cancel(id: string, options: RequestOptions = {}): Promise<GenerationRecord> {
    const { data } = await this.transport.json<GenerationRecord>({
      method: "POST",
      path: `/generation/${encodeId(id)}/cancel`,
      signal: options.signal,
    });
    return data;
  }

  /**
   * GET /generation/:id/image: the bytes and their type. Follows the redirect to a signed URL
   * where the deployment stores images in the cloud. 409 ConflictError until completed.
   */
  async image(id: string, options: RequestOptions = {}): Promise<DownloadedImage> {
    const { response, body } = await this.transport.raw({
      path: `/generation/${encodeId(id)}/image`,
      headers: { Accept: "image/*" },
      signal: options.signal,
    });
    return {
      bytes: new Uint8Array(body ?? new ArrayBuffer(0)),
      mimeType:
        response.headers.get("content-type")?.split(";")[0]?.trim() || "application/octet-stream",
    };
  }

  /**
   * GET /generation/:id/thumbnail: a WebP at most `size` pixels (128, 256 or 512; default
   * 256) on its longest side, made once and cached. 409 ConflictError until completed.
   */
  async thumbnail(
    id: string,
    options: RequestOptions & { size?: 128 | 256 | 512 } = {},
  ): Promise<DownloadedImage> {
    const { response, body } = await this.transport.raw({
      path: `/generation/${encodeId(id)}/thumbnail`,
      query: { size: options.size },
      headers: { Accept: "image/*" },
      signal: options.signal,
    });
    return {
      bytes: new Uint8Array(body ?? new ArrayBuffer(0)),
      mimeType: response.headers.get("content-type")?.split(";")[0]?.trim() || "image/webp",
    };
  }

  /** POST /generation/:id/feedback: thumbs up or down on a completed image (replaces earlier). */
  async feedback(
    id: string,
    input: { rating: "up" | "down"; comment?: string },
    options: RequestOptions = {},
  ): Promise<FeedbackResult> {
    const { data } = await this.transport.json<FeedbackResult>({
      method: "POST",
      path: `/generation/${encodeId(id)}/feedback`,
      json: input,
      signal: options.signal,
    });
    return data;
  }

  /**
   * Live updates of one generation until it ends: GET /generation/:id/events (SSE), else
   * polling its status. The first event is its current state.
   */
  async *events(id: string, options: LiveOptions = {}): AsyncGenerator<GenerationEvent> {
    for await (const live of follow<GenerationRecord>(
      this.transport,
      {
        streamPath: `/generation/${encodeId(id)}/events`,
        pollPath: `/generation/${encodeId(id)}/status`,
        isFinal: isTerminal,
        fromPoll: (body) => {
          const record = body as GenerationRecord;
          return {
            event: eventOfRecord(record),
            data: record,
            key: `${record.status}|${record.stage}|${record.updatedAt}|${JSON.stringify(record.queue ?? null)}`,
          };
        },
      },
      { ...options, defaultPollIntervalMs: this.client.pollIntervalMs },
    )) {
      yield {
        generationId: id,
        event: live.event as GenerationEventName,
        version: live.version,
        record: live.data,
        via: live.via,
      };
    }
  }

  /**
   * Resolves with the record once completed; rejects with GenerationFailedError when it failed
   * or was canceled, TimeoutError/AbortedError (with generationId) when you stop waiting.
   */
  async wait(id: string, options: WaitOptions = {}): Promise<GenerationRecord> {
    const scope = waitScope(options);
    try {
      for await (const update of this.events(id, {
        signal: scope.signal,
        transport: options.transport,
      })) {
        options.onUpdate?.(update);
        if (isTerminal(update.record.status)) {
          if (update.record.status === "completed") return update.record;
          throw new GenerationFailedError(update.record);
        }
      }
      // The stream ended without an end (it should not): the status route says how it stands.
      const record = await this.get(id, { signal: scope.signal });
      if (record.status === "completed") return record;
      throw new GenerationFailedError(record);
    } catch (error) {
      if (error instanceof GenerationFailedError) throw error;
      throw scope.fail(error, { generationId: id });
    } finally {
      scope.dispose();
    }
  }
}

class Batches {
  constructor(
    private readonly transport: Transport,
    private readonly client: NanoBanana,
  ) {}

  /** POST /generate-batch (always with an Idempotency-Key, so a retried create makes one batch). */
  async create(
    items: GenerateInput[],
    options: BatchCreateOptions = {},
  ): Promise<BatchAcceptedResult> {
    const idempotencyKey = options.idempotencyKey ?? randomKey();
    const { data, response } = await this.transport.json<BatchAccepted>({
      method: "POST",
      path: "/generate-batch",
      json: {
        items,
        ...(options.webhook === undefined ? {} : { webhook: options.webhook }),
        ...(options.tier === undefined ? {} : { tier: options.tier }),
        ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
        ...(options.onDeadline === undefined ? {} : { onDeadline: options.onDeadline }),
      },
      idempotencyKey,
      signal: options.signal,
    });
    return {
      batchId: data.batchId,
      ids: data.ids,
      statusUrl: data.statusUrl,
      idempotencyKey,
      replayed: response.headers.get("idempotent-replayed") === "true",
    };
  }

  /** GET /batch/:id/status: the summary and one page of items (limit 1–1000, default 100). */
  async get(
    id: string,
    options: RequestOptions & { limit?: number; cursor?: string } = {},
  ): Promise<BatchStatus> {
    const { data } = await this.transport.json<BatchStatus>({
      path: `/batch/${encodeId(id)}/status`,
      query: { limit: options.limit, cursor: options.cursor },
      signal: options.signal,
    });
    return data;
  }

  /** Every item's record, in request order, a page at a time. */
  async *items(
    id: string,
    options: RequestOptions & { pageSize?: number } = {},
  ): AsyncGenerator<GenerationRecord> {
    let cursor: string | undefined;
    do {
      const page = await this.get(id, {
        limit: options.pageSize ?? 1000,
        ...(cursor ? { cursor } : {}),
        signal: options.signal,
      });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** POST /batch/:id/cancel: cancels every item not started yet. */
  async cancel(id: string, options: RequestOptions = {}): Promise<BatchCancelResult> {
    const { data } = await this.transport.json<BatchCancelResult>({
      method: "POST",
      path: `/batch/${encodeId(id)}/cancel`,
      signal: options.signal,
    });
    return data;
  }

  /** Live progress until the batch completes: GET /batch/:id/events, else polling its status. */
  async *events(id: string, options: LiveOptions = {}): AsyncGenerator<BatchEvent> {
    for await (const live of follow<BatchSummary>(
      this.transport,
      {
        streamPath: `/batch/${encodeId(id)}/events`,
        pollPath: `/batch/${encodeId(id)}/status`,
        pollQuery: { limit: 1 },
        isFinal: (event) => event === "completed",
        fromPoll: (body) => {
          const summary = summaryOf(body as BatchStatus);
          return {
            event: summary.completedAt ? "completed" : "progress",
            data: summary,
            key: JSON.stringify([summary.counts, summary.cost, summary.completedAt]),
          };
        },
      },
      { ...options, defaultPollIntervalMs: this.client.pollIntervalMs },
    )) {
      yield {
        batchId: id,
        event: live.event === "completed" ? "completed" : "progress",
        version: live.version,
        summary: summaryOf(live.data),
        via: live.via,
      };
    }
  }

  /** Resolves with the final summary once every item has ended. */
  async wait(
    id: string,
    options: Pick<BatchOptions, "onProgress" | "timeoutMs" | "transport" | "signal"> = {},
  ): Promise<BatchSummary> {
    const scope = waitScope(options);
    try {
      let last: BatchSummary | undefined;
      for await (const event of this.events(id, {
        signal: scope.signal,
        transport: options.transport,
      })) {
        last = event.summary;
        options.onProgress?.(event.summary, event);
        if (event.event === "completed") return event.summary;
      }
      return last ?? summaryOf(await this.get(id, { limit: 1, signal: scope.signal }));
    } catch (error) {
      throw scope.fail(error, { batchId: id });
    } finally {
      scope.dispose();
    }
  }
}

class Uploads {
  constructor(private readonly transport: Transport) {}

  /** POST /uploads: a reference image (png, jpeg, webp, heic; at most 7 MiB) for `images`. */
  async create(
    bytes: Uint8Array | ArrayBuffer | Blob,
    mimeType: string,
    options: RequestOptions = {},
  ): Promise<Upload> {
    const body: RequestBody =
      bytes instanceof Uint8Array ? (bytes.slice().buffer as ArrayBuffer) : (bytes as RequestBody);
    const { data } = await this.transport.json<Upload>({
      method: "POST",
      path: "/uploads",
      body,
      contentType: mimeType,
      signal: options.signal,
    });
    return data;
  }
}

class UserPreferences {
  constructor(private readonly transport: Transport) {}

  /** GET /user/me/preferences: the defaults your requests fall back on. */
  async get(options: RequestOptions & { userId?: string } = {}): Promise<Preferences> {
    const { data } = await this.transport.json<Preferences>({
      path: `/user/${encodeId(options.userId ?? "me")}/preferences`,
      signal: options.signal,
    });
    return data;
  }

  /** PUT /user/me/preferences: replaces them whole. */
  async set(
    preferences: Preferences,
    options: RequestOptions & { userId?: string } = {},
  ): Promise<Preferences> {
    const { data } = await this.transport.json<Preferences>({
      method: "PUT",
      path: `/user/${encodeId(options.userId ?? "me")}/preferences`,
      json: preferences,
      signal: options.signal,
    });
    return data;
  }
}

class AdminKeys {
  constructor(private readonly transport: Transport) {}

  /** GET /admin/keys: the keys made at run time (never the keys themselves). */
  async list(options: RequestOptions = {}): Promise<ApiKeyInfo[]> {
    const { data } = await this.transport.json<{ items: ApiKeyInfo[] }>({
      path: "/admin/keys",
      signal: options.signal,
    });
    return data.items;
  }

  /** POST /admin/keys: a new key for `userId`; `key` is shown this once. */
  async create(
    input: { userId: string; admin?: boolean },
    options: RequestOptions = {},
  ): Promise<CreatedApiKey> {
    const { data } = await this.transport.json<CreatedApiKey>({
      method: "POST",
      path: "/admin/keys",
      json: input,
      signal: options.signal,
    });
    return data;
  }

  /** DELETE /admin/keys/:keyId: the key stops working at once. */
  async revoke(keyId: string, options: RequestOptions = {}): Promise<void> {
    await this.transport.raw({
      method: "DELETE",
      path: `/admin/keys/${encodeId(keyId)}`,
      signal: options.signal,
    });
  }
}

/** What admin keys may read and do. Other keys get 403 ForbiddenError. */
class Admin {
  readonly keys: AdminKeys;
  constructor(private readonly transport: Transport) {
    this.keys = new AdminKeys(transport);
  }

  /** GET /admin/stats: hourly outcomes, error codes and confidence; queues; throughput. */
  async stats(options: RequestOptions & { hours?: number } = {}): Promise<OperationsStats> {
    const { data } = await this.transport.json<OperationsStats>({
      path: "/admin/stats",
      query: { hours: options.hours },
      signal: options.signal,
    });
    return data;
  }

  /** GET /queue/status: jobs per state of each queue. */
  async queues(options: RequestOptions = {}): Promise<QueueDepths> {
    const { data } = await this.transport.json<{ queues: QueueDepths }>({
      path: "/queue/status",
      signal: options.signal,
    });
    return data.queues;
  }

  /** GET /templates/stats: each template variant's images and feedback (the A/B results). */
  async templateStats(options: RequestOptions = {}): Promise<TemplateStatsItem[]> {
    const { data } = await this.transport.json<{ items: TemplateStatsItem[] }>({
      path: "/templates/stats",
      signal: options.signal,
    });
    return data.items;
  }
}

/**
 * The NanoBanana API client. Works in browsers and Node (fetch only).
 *
 * ```ts
 * const nb = new NanoBanana({ apiKey: process.env.NANOBANANA_API_KEY!, baseUrl: "http://localhost:8080" });
 * const record = await nb.run({ prompt: "red sneaker on white" }, { onUpdate: (u) => console.log(u.event) });
 * const { bytes, mimeType } = await nb.generations.image(record.id);
 * ```
 */
export class NanoBanana {
  readonly generations: Generations;
  readonly batches: Batches;
  readonly uploads: Uploads;
  readonly preferences: UserPreferences;
  /** Operators' calls (admin keys). */
  readonly admin: Admin;
  readonly baseUrl: string;
  readonly pollIntervalMs: number;
  private readonly transport: Transport;

  constructor(options: NanoBananaOptions) {
    if (!options?.apiKey) {
      throw new InvalidRequestError({
        code: "INVALID_REQUEST",
        message: "NanoBanana needs an apiKey",
      });
    }
    const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (!fetchImpl) {
      throw new InvalidRequestError({
        code: "INVALID_REQUEST",
        message: "no fetch available: pass options.fetch",
      });
    }
    this.transport = new Transport({
      apiKey: options.apiKey,
      baseUrl: options.baseUrl ?? DEFAULT_BASE_URL,
      fetch: fetchImpl,
      maxRetries: options.maxRetries ?? 3,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
      timeoutMs: options.timeoutMs ?? 60_000,
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
    });
    this.baseUrl = this.transport.baseUrl;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.generations = new Generations(this.transport, this);
    this.batches = new Batches(this.transport, this);
    this.uploads = new Uploads(this.transport);
    this.preferences = new UserPreferences(this.transport);
    this.admin = new Admin(this.transport);
  }

  /** GET /me: whose key this is and whether it is an admin's (a cheap way to check a key). */
  async me(options: RequestOptions = {}): Promise<Me> {
    const { data } = await this.transport.json<Me>({ path: "/me", signal: options.signal });
    return data;
  }

  /**
   * POST /classify: the prompt's domain, subcategory, confidence and alternatives. With
   * `secondOpinion: true`, on a service that has one, an unsure label is also put to a small
   * Gemini text model (at a cost, shown on the answer and added to your totals).
   */
  async classify(
    prompt: string,
    options: RequestOptions & { secondOpinion?: boolean } = {},
  ): Promise<ClassifyResult> {
    const { data } = await this.transport.json<ClassifyResult>({
      method: "POST",
      path: "/classify",
      json: { prompt, ...(options.secondOpinion ? { secondOpinion: true } : {}) },
      signal: options.signal,
    });
    return data;
  }

  /** POST /enhance: the specification POST /generate would send for the same request. */
  async enhance(
    input: { prompt: string; quality?: Quality; aspectRatio?: GenerateInput["aspectRatio"] },
    options: RequestOptions = {},
  ): Promise<EnhanceResult> {
    const { data } = await this.transport.json<EnhanceResult>({
      method: "POST",
      path: "/enhance",
      json: input,
      signal: options.signal,
    });
    return data;
  }

  /**
   * POST /generate, always with an Idempotency-Key (a random UUID unless given), so a retried
   * create never makes two. With `wait`, the finished record when it is done in time.
   */
  async generate(input: GenerateInput, options: GenerateOptions = {}): Promise<GenerateResult> {
    const idempotencyKey = options.idempotencyKey ?? randomKey();
    const wait =
      options.wait === undefined ? undefined : Math.min(60, Math.max(1, Math.round(options.wait)));
    const { data, response } = await this.transport.json<GenerationRecord | GenerateResult>({
      method: "POST",
      path: "/generate",
      json: input,
      idempotencyKey,
      signal: options.signal,
      ...(wait === undefined
        ? {}
        : {
            headers: { Prefer: `wait=${wait}` },
            // The service may hold the answer for `wait` seconds: allow for it.
            timeoutMs: wait * 1000 + 30_000,
          }),
    });
    const finished = response.status === 200 && "stage" in data ? (data as GenerationRecord) : null;
    return {
      id: data.id,
      status: data.status,
      statusUrl: data.statusUrl,
      record: finished,
      idempotencyKey,
      replayed: response.headers.get("idempotent-replayed") === "true",
      requestId: response.headers.get("x-request-id") ?? undefined,
    };
  }

  /**
   * Creates a generation and resolves with its record once completed, following live status
   * (SSE, else polling). `onUpdate` gets the id first ("accepted"), then every stage.
   * Rejects with GenerationFailedError (failed or canceled), or TimeoutError/AbortedError
   * carrying `generationId` when you stop waiting: the id is never lost.
   */
  async run(input: GenerateInput, options: RunOptions = {}): Promise<GenerationRecord> {
    const idempotencyKey = options.idempotencyKey ?? randomKey();
    const scope = waitScope(options);
    let generationId: string | undefined;
    try {
      const accepted = await this.generate(input, { idempotencyKey, signal: scope.signal });
      generationId = accepted.id;
      options.onUpdate?.({
        generationId,
        event: "accepted",
        version: null,
        record: null,
        idempotencyKey,
      });
      if (accepted.record && isTerminal(accepted.record.status)) {
        if (accepted.record.status === "completed") return accepted.record;
        throw new GenerationFailedError(accepted.record);
      }
      return await this.generations.wait(generationId, {
        signal: scope.signal,
        transport: options.transport,
        onUpdate: (update) => options.onUpdate?.(update),
      });
    } catch (error) {
      if (error instanceof GenerationFailedError) throw error;
      throw scope.fail(error, {
        ...(generationId ? { generationId } : {}),
        idempotencyKey,
      });
    } finally {
      scope.dispose();
    }
  }

  /**
   * Creates a batch and resolves once every item has ended, with the final summary and every
   * item's record. Progress comes from GET /batch/:id/events (else polling).
   */
  async batch(items: GenerateInput[], options: BatchOptions = {}): Promise<BatchResult> {
    const idempotencyKey = options.idempotencyKey ?? randomKey();
    const scope = waitScope(options);
    let batchId: string | undefined;
    try {
      const accepted = await this.batches.create(items, {
        idempotencyKey,
        signal: scope.signal,
        ...(options.webhook === undefined ? {} : { webhook: options.webhook }),
        ...(options.tier === undefined ? {} : { tier: options.tier }),
        ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
        ...(options.onDeadline === undefined ? {} : { onDeadline: options.onDeadline }),
      });
      batchId = accepted.batchId;
      options.onAccepted?.(accepted);
      const summary = await this.batches.wait(batchId, {
        signal: scope.signal,
        transport: options.transport,
        onProgress: options.onProgress,
      });
      const records: GenerationRecord[] = [];
      for await (const record of this.batches.items(batchId, { signal: scope.signal })) {
        records.push(record);
      }
      return { batchId, ids: accepted.ids, summary, items: records };
    } catch (error) {
      throw scope.fail(error, { ...(batchId ? { batchId } : {}), idempotencyKey });
    } finally {
      scope.dispose();
    }
  }

  /**
   * Your history, newest first, as an async iterable over GET /user/me/history's cursor pages:
   * `for await (const record of nb.history({ limit: 50 }))`; `.pages()` for whole pages.
   */
  history(options: HistoryOptions = {}): HistoryIterable {
    const transport = this.transport;
    const path = `/user/${encodeId(options.userId ?? "me")}/history`;
    async function* pages(): AsyncGenerator<HistoryPage> {
      let cursor = options.cursor;
      for (;;) {
        const { data } = await transport.json<HistoryPage>({
          path,
          query: {
            limit: options.limit,
            cursor,
            status: options.status,
            domain: options.domain,
            from: dayOf(options.from),
            to: dayOf(options.to),
          },
          signal: options.signal,
        });
        yield data;
        // A filtered page may hold few items, even none, and still have more after it.
        if (!data.nextCursor) return;
        cursor = data.nextCursor;
      }
    }
    return {
      pages,
      async *[Symbol.asyncIterator]() {
        for await (const page of pages()) yield* page.items;
      },
    };
  }

  /** GET /user/me/cost: today, this ISO week and this month (around `date`, YYYY-MM-DD). */
  async cost(
    options: RequestOptions & { date?: string | Date; userId?: string } = {},
  ): Promise<CostReport> {
    const { data } = await this.transport.json<CostReport>({
      path: `/user/${encodeId(options.userId ?? "me")}/cost`,
      query: { date: dayOf(options.date) },
      signal: options.signal,
    });
    return data;
  }

  /** GET /user/me/cost/series: spend per day, ISO week or month (oldest first) and the budget. */
  async costSeries(options: CostSeriesOptions = {}): Promise<CostSeries> {
    const { data } = await this.transport.json<CostSeries>({
      path: `/user/${encodeId(options.userId ?? "me")}/cost/series`,
      query: { by: options.by, count: options.count, date: dayOf(options.date) },
      signal: options.signal,
    });
    return data;
  }

  /** GET /models: the models this deployment draws with, their sizes, prices and roles. */
  async models(options: RequestOptions = {}): Promise<ModelsResponse> {
    const { data } = await this.transport.json<ModelsResponse>({
      path: "/models",
      signal: options.signal,
    });
    return data;
  }
}
