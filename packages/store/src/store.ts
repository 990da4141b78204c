import type {
  ApiKeyRecord,
  BatchRecord,
  CacheEntry,
  CostSummary,
  CustomTemplate,
  Domain,
  Feedback,
  GenerationRecord,
  GenerationStatus,
  ImageSize,
  OperationsTotals,
  Preferences,
  Subcategory,
  TemplateStats,
  TemplateUse,
  WebhookDelivery,
} from "@nanobanana/domain";

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** What a batch's summary counts of an item: its status and what it cost. */
export type GenerationState = Pick<GenerationRecord, "status" | "cost">;

export type GenerationPatch = Partial<Omit<GenerationRecord, "id" | "userId" | "createdAt">>;
export type DeliveryPatch = Partial<Omit<WebhookDelivery, "id" | "userId" | "createdAt" | "body">>;

export interface UpdateOptions {
  /** Apply only while the record's status is one of these (compare-and-set). */
  onlyIfStatusIn?: readonly GenerationStatus[];
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What reserving an Idempotency-Key found. */
export type IdempotencyReservation =
  | { kind: "new" }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "mismatch" }
  | { kind: "in_progress" };

/**
 * What one POST /generate or /generate-batch accepted. Written in one atomic step with a
 * "not yet enqueued" marker, so a crash before the jobs are enqueued is found by the sweep
 * and finished, and with the Idempotency-Key's answer, so a retry after a crash replays it.
 */
export interface Acceptance {
  records: readonly GenerationRecord[];
  batch?: BatchRecord;
  idempotency?: {
    scope: string;
    key: string;
    fingerprint: string;
    response: StoredResponse;
    ttlSeconds: number;
  };
}

/** The id an acceptance's "not yet enqueued" marker goes by: its batch's, or its one record's. */
export function acceptanceIdOf(acceptance: Acceptance): string | undefined {
  return acceptance.batch?.id ?? acceptance.records[0]?.id;
}

/** One record's move to a terminal status (completed, failed, canceled). */
export interface Finish {
  id: string;
  patch: GenerationPatch & { status: "completed" | "failed" | "canceled"; completedAt: string };
}

/** Totals of one period ("2026-11-25", "2026-W48", "2026-11"), kept as generations complete. */
export type CostTotals = CostSummary;

export interface StoreOptions {
  /** How long records, batches and deliveries are kept (RECORD_RETENTION_DAYS). */
  retentionSeconds?: number;
}

/**
 * Generations and batches from acceptance to their end: the records, the "not yet enqueued"
 * markers, the batches' completion, the cost totals and the outbox that finishing feeds.
 * `accept` also writes the Idempotency-Key's answer, in the same step as what it accepted.
 */
export interface GenerationStore {
  /**
   * Writes the records, the batch, the idempotent answer and the pending marker at once; given
   * several acceptances (requests that arrived together), all of them in that one step.
   */
  accept(...acceptances: Acceptance[]): Promise<void>;
  /**
   * Ids of acceptances (the batch id, or the one generation's id) still marked "not yet
   * enqueued" that were accepted before `before` (ISO time), oldest first.
   */
  unconfirmedAcceptances(before: string, limit: number): Promise<string[]>;
  /** Clears the markers once the acceptances' jobs are in the queue. */
  confirmEnqueued(...acceptanceIds: string[]): Promise<void>;
  getGeneration(id: string): Promise<GenerationRecord | null>;
  /** Records for ids, in the same order, null where missing (one round trip). */
  getGenerations(ids: readonly string[]): Promise<Array<GenerationRecord | null>>;
  /**
   * Only the status and cost of each id, in the same order, null where missing (one round
   * trip): what a batch's counts need, without reading and decoding every item's record on
   * each poll of its status.
   */
  getGenerationStates(ids: readonly string[]): Promise<Array<GenerationState | null>>;
  /**
   * Merges the patch into the record and stamps updatedAt. Returns false when the record
   * is missing or the status precondition failed, so callers can tell "lost the race".
   */
  updateGeneration(id: string, patch: GenerationPatch, options?: UpdateOptions): Promise<boolean>;
  /** A user's generations, newest first. */
  listHistory(
    userId: string,
    options: { limit: number; cursor?: string },
  ): Promise<Page<GenerationRecord>>;

  /**
   * Moves records to a terminal status, each in one atomic step with what follows from it:
   * the item counts as settled in its batch, a completed image adds to its owner's cost
   * totals, every ending counts in the service's operations totals, and a record with a webhook is put in the outbox. Each applies only while the
   * record's status is in `onlyIfStatusIn`; returns the records that moved, as they are now.
   */
  finishGenerations(
    finishes: readonly Finish[],
    options: { onlyIfStatusIn: readonly GenerationStatus[] },
  ): Promise<GenerationRecord[]>;

  /**
   * The user's running totals for each period named (ISO day, ISO week, month), by the
   * time the generations were created: O(periods), whatever the number of records.
   */
  costTotals(userId: string, periods: readonly string[]): Promise<Record<string, CostTotals>>;

  /**
   * Adds a cost no generation carries (a second opinion asked for by POST /classify) to the
   * user's running totals of the day, ISO week and month of `at` (ISO time): to `usd` and to
   * the model's own line, with no image and no quality tier.
   */
  addSpend(userId: string, spend: { model: string; usd: number }, at: string): Promise<void>;

  /**
   * The whole service's totals for each UTC hour named ("2026-11-26T02"), by when the
   * generations ended (kept by finishGenerations in the same step): outcomes, error codes,
   * classifier confidence. O(hours).
   */
  operationsTotals(hours: readonly string[]): Promise<Record<string, OperationsTotals>>;

  getBatch(id: string): Promise<BatchRecord | null>;
  /**
   * Stamps completedAt once every item has settled, and puts the batch in the outbox when it
   * has a webhook; true only for the caller that completed it, false when it already was
   * or items are still open.
   */
  completeBatchIfSettled(batchId: string, at: string): Promise<boolean>;
  /** Batches without completedAt created before `before`, oldest first. */
  openBatches(before: string, limit: number): Promise<string[]>;

  /**
   * The outbox: ids of generations and batches that reached an end whose webhooks may not
   * have been created yet, put there before `before`, oldest first.
   */
  pendingNotifications(before: string, limit: number): Promise<string[]>;
  clearNotification(subjectId: string): Promise<void>;
}

/** Idempotency-Key claims and the answers they replay. */
export interface IdempotencyStore {
  /** Claims an Idempotency-Key for a request fingerprint, or says what already holds it. */
  reserveIdempotencyKey(
    scope: string,
    key: string,
    fingerprint: string,
    ttlSeconds: number,
  ): Promise<IdempotencyReservation>;
  completeIdempotencyKey(
    scope: string,
    key: string,
    response: StoredResponse,
    ttlSeconds: number,
  ): Promise<void>;
  /** Frees a claim whose request failed, so the client may retry with the same key. */
  releaseIdempotencyKey(scope: string, key: string): Promise<void>;
}

/** API keys made at run time (admin endpoint or CLI), found by hash. */
export interface ApiKeyStore {
  putApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKey(hash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** False when no key has that id. */
  revokeApiKey(keyId: string, at: string): Promise<boolean>;
}

/** A user's defaults for what their requests leave out, replaced whole. */
export interface PreferenceStore {
  getPreferences(userId: string): Promise<Preferences>;
  setPreferences(userId: string, preferences: Preferences): Promise<void>;
}

/**
 * Users' custom templates, and how each template variant does: images written and the
 * feedback on them (`recordFeedback` also stores the feedback on its generation).
 */
export interface TemplateStore {
  /** A user's custom templates, by id ("{subcategory}.{quality}"). */
  listTemplates(userId: string): Promise<CustomTemplate[]>;
  getTemplate(userId: string, id: string): Promise<CustomTemplate | null>;
  putTemplate(template: CustomTemplate): Promise<void>;
  /** False when there was none. */
  deleteTemplate(userId: string, id: string): Promise<boolean>;

  /** Counts one completed image written by this template variant. */
  recordTemplateUse(template: TemplateUse): Promise<void>;
  /**
   * Stores the caller's feedback on a generation (replacing earlier feedback) and moves the
   * template variant's up/down counts to match, atomically. False when there is no such
   * generation.
   */
  recordFeedback(generationId: string, feedback: Feedback, template: TemplateUse): Promise<boolean>;
  /** Per template variant: images written, ups and downs. */
  templateStats(): Promise<TemplateStats[]>;
}

/** Webhook signing secrets and the deliveries made with them. */
export interface WebhookStore {
  /** The user's signing secret, created with `make` on first use (race-free). */
  getOrCreateWebhookSecret(userId: string, make: () => string): Promise<string>;
  /**
   * Every secret a delivery is signed with now: the current one first, then the one it
   * replaced while that one's overlap lasts (Standard Webhooks allows several signatures).
   */
  webhookSigningSecrets(userId: string, make: () => string): Promise<string[]>;
  /** Makes `next` current; the old secret keeps signing until `previousUntil` (ISO time). */
  rotateWebhookSecret(userId: string, next: string, previousUntil: string): Promise<void>;

  /** Creates a delivery; false when one with this id exists (re-runs send nothing new). */
  createDelivery(delivery: WebhookDelivery): Promise<boolean>;
  getDelivery(id: string): Promise<WebhookDelivery | null>;
  updateDelivery(id: string, patch: DeliveryPatch): Promise<void>;
  /** A user's deliveries, newest first. */
  listDeliveries(userId: string, options: { limit: number }): Promise<WebhookDelivery[]>;
  /** Deliveries about one generation or batch, oldest first. */
  deliveriesFor(subjectId: string): Promise<WebhookDelivery[]>;
}

/** The cache of drawn images, and the leases that keep identical requests from paying twice. */
export interface CacheStore {
  /** The cache: an entry per key, expiring after its TTL. */
  getCacheEntry(key: string): Promise<CacheEntry | null>;
  putCacheEntry(entry: CacheEntry, ttlSeconds: number): Promise<void>;
  /**
   * A lease on a key while its image is drawn, so identical requests wait instead of paying
   * again. Re-entrant: the owner (a generation id) may take it again, as a re-run does.
   */
  acquireCacheLock(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases the lease only if `owner` still holds it. */
  releaseCacheLock(key: string, owner: string): Promise<void>;
}

/** A text model's answer about a prompt's label (the classifier's second opinion). */
export interface LabelAnswer {
  /** What it is kept by: a hash of the normalised prompt, the model, and whose cache it is. */
  key: string;
  model: string;
  domain: Domain;
  subcategory: Subcategory;
  /** The model's own short reason, when it gave one. */
  reason: string | null;
  /** What asking for it cost, the one time it was asked. */
  costUsd: number;
  createdAt: string;
}

/** The second opinion's answers, so one prompt is asked about (and paid for) once. */
export interface LabelAnswerStore {
  getLabelAnswer(key: string): Promise<LabelAnswer | null>;
  /** Keeps the answer for `ttlSeconds`; the same key again replaces it. */
  putLabelAnswer(answer: LabelAnswer, ttlSeconds: number): Promise<void>;
}

/**
 * The port for everything the service keeps: the source of truth (BullMQ state is transient).
 * Every part above, over one backend; callers that need less take the part they use.
 */
export interface Store
  extends GenerationStore,
    IdempotencyStore,
    ApiKeyStore,
    PreferenceStore,
    TemplateStore,
    WebhookStore,
    CacheStore,
    EconomyStore,
    LabelAnswerStore {
  readonly name: string;
  ping(): Promise<void>;
}

/** Template stats in a stable order: by template id, then variant. */
export const compareStats = (a: TemplateStats, b: TemplateStats) =>
  a.template === b.template
    ? a.variant.localeCompare(b.variant)
    : a.template.localeCompare(b.template);

/**
 * An economy batch job: the generations gathered from one window and submitted to the
 * maker's batch mode as one job. Kept from before the maker hears of it, so a crash at any
 * step is finished by the next try instead of losing (or double-paying) the images.
 */
export interface ProviderJobRecord {
  /** Our name for it (eco_…), also its display name at the maker. */
  name: string;
  /** The window it was gathered from: "{model}/{imageSize}". */
  window: string;
  model: string;
  imageSize: ImageSize;
  /** The generations it draws, oldest first. */
  ids: string[];
  /** submitting: taken from the window, not yet known to be at the maker; then submitted; ended. */
  state: "submitting" | "submitted" | "ended";
  /** The maker's job, once submitted. */
  ref: { id: string; name: string; model: string; submittedAt: string } | null;
  /** How the maker's job ended: succeeded, failed, cancelled or expired. */
  outcome: string | null;
  /** Times its state has been asked for (the poller backs off with it). */
  checks: number;
  createdAt: string;
  updatedAt: string;
}

/** Economy images waiting to be gathered into a batch job, and those jobs. */
export interface EconomyStore {
  /** Adds a generation to a window's waiting list (once); answers how many wait there now. */
  joinEconomyWindow(window: string, generationId: string): Promise<number>;
  /**
   * Takes up to `max` of the window's waiting generations, oldest first, into a new job record
   * (state "submitting"), in one step: each is taken once. Null when none were waiting.
   */
  takeEconomyWindow(
    window: string,
    max: number,
    job: Omit<ProviderJobRecord, "ids" | "window">,
  ): Promise<ProviderJobRecord | null>;
  /** Windows where generations wait (a crash may have lost the job that would gather them). */
  economyWindows(): Promise<string[]>;
  getProviderJob(name: string): Promise<ProviderJobRecord | null>;
  updateProviderJob(
    name: string,
    patch: Partial<Omit<ProviderJobRecord, "name" | "ids" | "window" | "createdAt">>,
  ): Promise<void>;
  /** Names of jobs not yet ended, oldest first. */
  openProviderJobs(limit: number): Promise<string[]>;
}
