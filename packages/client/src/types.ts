/**
 * What the NanoBanana HTTP API takes and answers, written out for the client so it depends on
 * nothing of the service at run time. `types.test.ts` checks these against the service's own
 * schemas (packages/domain), so they cannot drift apart unnoticed.
 */

export const QUALITIES = ["draft", "standard", "premium"] as const;
export type Quality = (typeof QUALITIES)[number];

export const ASPECT_RATIOS = [
  "1:1",
  "2:3",
  "3:2",
  "3:4",
  "4:3",
  "4:5",
  "5:4",
  "9:16",
  "16:9",
  "21:9",
] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

/** Output size by its long side: 512 px, ~1K (default), ~2K, ~4K. */
export const IMAGE_SIZES = ["512", "1K", "2K", "4K"] as const;
export type ImageSize = (typeof IMAGE_SIZES)[number];

export const TIERS = ["standard", "economy"] as const;
export type Tier = (typeof TIERS)[number];

export const IMAGE_FORMATS = ["png", "webp", "jpeg"] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const WEBHOOK_EVENTS = [
  "generation.completed",
  "generation.failed",
  "batch.completed",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export const GENERATION_STATUSES = [
  "queued",
  "submitted",
  "processing",
  "completed",
  "failed",
  "canceled",
] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];
export const TERMINAL_STATUSES = ["completed", "failed", "canceled"] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export const STAGES = [
  "queued",
  "classify",
  "enhance",
  "cache",
  "generate",
  "post_process",
  "upload",
  "done",
] as const;
export type Stage = (typeof STAGES)[number];

/** Event names of GET /generation/:id/events: the stages while it runs, then how it ended. */
export const GENERATION_EVENTS = [
  "queued",
  "submitted",
  "classify",
  "enhance",
  "cache",
  "generate",
  "post_process",
  "upload",
  "completed",
  "failed",
  "canceled",
] as const;
export type GenerationEventName = (typeof GENERATION_EVENTS)[number];

/** `webhook` in a request: a URL, or the URL and which events it wants (default: all). */
export type WebhookTarget = string | { url: string; events?: WebhookEventType[] };

/** Body of POST /generate, and one item of POST /generate-batch. */
export interface GenerateInput {
  /** 1–2000 characters. */
  prompt: string;
  quality?: Quality;
  /** A model GET /models lists; left out, the service's routing chooses. */
  model?: string;
  aspectRatio?: AspectRatio;
  imageSize?: ImageSize;
  /** Up to 14 reference images: upload ids (`upl_…`, from `uploads.create`) or https URLs. */
  images?: string[];
  format?: ImageFormat;
  /** Up to 20 labels kept on the record. */
  metadata?: Record<string, string | number | boolean>;
  webhook?: WebhookTarget;
  /** false: always draw anew, and do not fill the cache. */
  cache?: boolean;
  /** economy: half price through the maker's batch mode, finished within a day. */
  tier?: Tier;
  /** Economy: finished by this ISO time (at most 48 h ahead), else `onDeadline`. */
  deadline?: string;
  /** Economy: past the deadline, draw it at standard price (default) or fail. */
  onDeadline?: "standard" | "fail";
}

/** A second opinion as a generation or POST /classify used it. */
export interface SecondOpinionUse {
  /** The text model asked. */
  model: string;
  /** What asking cost: 0 when the answer came from the cache. */
  costUsd: number;
  cached: boolean;
  /** The model's own short reason for its label. */
  reason?: string;
  /** Why its answer was not used (a failed call, an answer that was not a label). */
  error?: string;
}

export interface Classification {
  domain: string;
  subcategory: string;
  /** The local classifier's confidence in its own label. */
  confidence: number;
  certainty?: "subcategory" | "domain" | "none";
  /** Who decided the label: the local classifier, or the second opinion (a Gemini text model). */
  source?: "local" | "gemini";
  /** The local classifier's own label, when the second opinion decided another. */
  local?: {
    domain: string;
    subcategory: string;
    confidence: number;
    certainty: "subcategory" | "domain" | "none";
  };
  /** Set when a second opinion was asked, whether or not its answer was used. */
  secondOpinion?: SecondOpinionUse;
}

export interface GenerationImage {
  /** Absolute URL of GET /generation/:id/image (needs the API key). */
  url: string;
  mimeType: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
}

export interface GenerationError {
  code: string;
  message: string;
  retryable: boolean;
}

/** Where a queued generation waits; either may be null when the service cannot tell. */
export interface QueuePosition {
  position: number | null;
  etaMs: number | null;
}

/** The generation record, as GET /generation/:id/status answers it. */
export interface GenerationRecord {
  id: string;
  userId: string;
  batchId: string | null;
  status: GenerationStatus;
  stage: Stage;
  prompt: string;
  quality: Quality;
  aspectRatio: AspectRatio;
  imageSize: ImageSize;
  format: ImageFormat;
  requestedModel: string | null;
  references: Array<{ source: string; sha256: string | null; mimeType: string | null }>;
  classification: Classification | null;
  enhancedPrompt: string | null;
  template: { id: string; version: number; variant: "a" | "b" } | null;
  feedback: { rating: "up" | "down"; comment: string | null; at: string } | null;
  provider: string | null;
  model: string | null;
  modelReason: string | null;
  cached: boolean;
  /** economySavedUsd: what the economy tier saved against the standard price. */
  cost: { usd: number; savedUsd: number; economySavedUsd?: number };
  tier: Tier;
  deadline: string | null;
  onDeadline: "standard" | "fail";
  /** Economy: the maker's batch job drawing it, once submitted. */
  providerJob: { id: string; name: string; model: string; submittedAt: string } | null;
  /** Why an economy request was drawn at the standard tier after all (expired, deadline…). */
  tierReason: string | null;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number } | null;
  providerCalls: number;
  providerAttempts?: Array<{
    model: string;
    template: string;
    outcome: "refused" | "drawn";
    costUsd: number;
    message?: string;
  }>;
  note: string | null;
  image: GenerationImage | null;
  error: GenerationError | null;
  attempts: number;
  timings: Record<string, number>;
  metadata: Record<string, string | number | boolean>;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  statusUrl: string;
  /** Present on a queued record when the service knows where it waits. */
  queue?: QueuePosition;
  /** Present when the generation has a webhook: the target and every delivery. */
  webhook?: { url: string; events: string[]; deliveries?: unknown[] };
}

/** 202 of POST /generate. */
export interface GenerationAccepted {
  id: string;
  status: GenerationStatus;
  statusUrl: string;
}

export type StatusCounts = Record<GenerationStatus, number>;

/** A batch's summary: data of GET /batch/:id/events, and the head of GET /batch/:id/status. */
export interface BatchSummary {
  id: string;
  userId: string;
  total: number;
  counts: StatusCounts;
  /** Share of items finished (completed, failed or canceled), 0..1. */
  progress: number;
  cost: { usd: number };
  createdAt: string;
  completedAt: string | null;
}

/** GET /batch/:id/status: the summary and one page of items. */
export interface BatchStatus extends BatchSummary {
  statusUrl: string;
  items: GenerationRecord[];
  nextCursor: string | null;
}

/** 202 of POST /generate-batch: ids in item order. */
export interface BatchAccepted {
  batchId: string;
  ids: string[];
  statusUrl: string;
}

export interface BatchCancelResult extends BatchSummary {
  canceled: number;
}

export interface HistoryPage {
  items: GenerationRecord[];
  nextCursor: string | null;
}

export interface CostPeriod {
  period: string;
  usd: number;
  savedUsd: number;
  images: number;
  cacheHits: number;
  /** Images drawn at the economy tier, and what their batch price saved. */
  economyImages: number;
  economySavedUsd: number;
}

/** GET /user/:id/cost. */
export interface CostReport {
  userId: string;
  currency: "USD";
  day: CostPeriod;
  week: CostPeriod;
  month: CostPeriod;
  byModel: Array<{ model: string; usd: number; images: number }>;
  /** The month's spend by quality tier. */
  byQuality: Array<{ quality: string; usd: number; images: number }>;
  cache: { hits: number; savedUsd: number };
  /** The month's economy images and what the tier saved, apart from the cache's savings. */
  economy: { images: number; savedUsd: number };
}

export const COST_SERIES_UNITS = ["day", "week", "month"] as const;
export type CostSeriesUnit = (typeof COST_SERIES_UNITS)[number];

/** One day, ISO week or month of GET /user/:id/cost/series. */
export interface CostSeriesPeriod extends CostPeriod {
  /** The period's start (inclusive) and end (exclusive), ISO times. */
  from: string;
  to: string;
  byModel: Array<{ model: string; usd: number; images: number }>;
  byQuality: Array<{ quality: string; usd: number; images: number }>;
}

/** GET /user/:id/cost/series: spend per period, oldest first, and the monthly budget. */
export interface CostSeries {
  userId: string;
  currency: "USD";
  by: CostSeriesUnit;
  periods: CostSeriesPeriod[];
  budget: {
    /** The cap that applies (the lower of the user's and the service's); null when none. */
    monthlyUsd: number | null;
    month: string;
    monthToDateUsd: number;
  };
}

/** GET /me: whose key this is. */
export interface Me {
  userId: string;
  admin: boolean;
  /** A short, non-secret name of the key. */
  keyId: string;
}

/** POST /classify. */
export interface ClassifyResult {
  domain: string;
  subcategory: string;
  /** The local classifier's probability of its own label among all 16. */
  confidence: number;
  certainty: "subcategory" | "domain" | "none";
  /** Who decided the label: the local classifier, or the second opinion (asked for with `secondOpinion`). */
  source: "local" | "gemini";
  /** The local classifier's own label, when the second opinion decided another. */
  local?: Classification["local"];
  /** Set when a second opinion was asked: its model, cost, reason or error. */
  secondOpinion?: SecondOpinionUse;
  /** The best labels, most likely first (the chosen one included), with probabilities. */
  alternatives: Array<{ domain: string; subcategory: string; score: number }>;
  /** Probability per domain; sums to 1. */
  scores: Record<string, number>;
  /** Lexicon terms and rules that matched, strongest first. */
  evidence: unknown[];
  /** Words read as typos of known words. */
  corrections: Array<{ from: string; to: string }>;
}

/** POST /enhance: the specification POST /generate would send for the same request. */
export interface EnhanceResult {
  enhancedPrompt: string;
  classification: ClassifyResult;
  template: {
    id: string;
    variant: string;
    version?: number;
    custom?: boolean;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** POST /generation/:id/feedback's answer. */
export interface FeedbackResult {
  id: string;
  template: unknown;
  feedback: { rating: "up" | "down"; comment: string | null; at: string };
}

/** A user's defaults (GET/PUT /user/:id/preferences). */
export interface Preferences {
  quality?: Quality;
  tier?: Tier;
  aspectRatio?: AspectRatio;
  imageSize?: ImageSize;
  format?: ImageFormat;
  webhook?: WebhookTarget;
  model?: string;
  monthlyBudgetUsd?: number;
}

/** An API key as GET /admin/keys lists it (never the key itself). */
export interface ApiKeyInfo {
  keyId: string;
  userId: string;
  admin: boolean;
  createdAt: string;
  revokedAt?: string | null;
  [key: string]: unknown;
}

/** 201 of POST /admin/keys: the key is shown this once. */
export interface CreatedApiKey {
  key: string;
  keyId: string;
  userId: string;
  admin: boolean;
  createdAt: string;
}

/** One template variant's use and feedback (GET /templates/stats). */
export interface TemplateStatsItem {
  template: string;
  variant: string;
  generations: number;
  up: number;
  down: number;
  feedbackRate: number | null;
  upRate: number | null;
  [key: string]: unknown;
}

/** Jobs per state of each queue (GET /queue/status). */
export type QueueDepths = Record<string, Record<string, number>>;

/** One UTC hour of GET /admin/stats. */
export interface OperationsHour {
  /** "2026-11-26T02". */
  hour: string;
  completed: number;
  failed: number;
  canceled: number;
  cacheHits: number;
  usd: number;
  errors: Record<string, number>;
  /** Generations by classifier confidence, in ten buckets of 0.1. */
  confidence: number[];
}

/** GET /admin/stats: the whole service. */
export interface OperationsStats {
  hours: OperationsHour[];
  queues: QueueDepths;
  /** Jobs finished per minute over the last hour, oldest first. */
  throughput: { queue: string | null; completed: number[]; failed: number[] };
  links: { bullBoard: string; metrics: string };
}

/** One model of GET /models. */
export interface ModelInfo {
  id: string;
  provider: string;
  description: string;
  /** Sizes it draws, each with its standard and batch price in USD. */
  sizes: Array<{ imageSize: ImageSize; usd: number; batchUsd: number }>;
  aspectRatios: AspectRatio[];
  maxReferenceImages: number;
  referenceImages: boolean;
  /** "default", "fallback", "routed". */
  roles: string[];
}

/** GET /models: what this deployment draws with. */
export interface ModelsResponse {
  provider: string;
  defaultModel: string;
  fallbackModel: string | null;
  routes: Array<{
    domain?: string;
    subcategory?: string;
    quality?: Quality;
    model: string;
  }>;
  items: ModelInfo[];
}

/** 201 of POST /uploads. */
export interface Upload {
  id: string;
  sha256: string;
  mimeType: string;
  width: number;
  height: number;
  bytes: number;
  createdAt: string;
}

/** A webhook delivery's body, once verified. */
export type WebhookPayload =
  | {
      type: "generation.completed" | "generation.failed";
      timestamp: string;
      data: GenerationRecord;
    }
  | { type: "batch.completed"; timestamp: string; data: BatchSummary };
