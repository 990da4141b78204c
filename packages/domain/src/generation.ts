import { z } from "zod";
import { UPLOAD_ID } from "./ids.ts";
import {
  ASPECT_RATIOS,
  CERTAINTIES,
  DOMAINS,
  IMAGE_FORMATS,
  IMAGE_SIZES,
  type ImageSize,
  MAX_REFERENCE_IMAGES,
  QUALITIES,
  TAXONOMY,
} from "./taxonomy.ts";
import { webhookRequestSchema } from "./webhook.ts";

export const MAX_PROMPT_CHARS = 2000;

const subcategories = Object.values(TAXONOMY).flat() as [string, ...string[]];

export const promptSchema = z
  .string({ error: "prompt must be a string" })
  .trim()
  .min(1, "prompt must not be empty")
  .max(MAX_PROMPT_CHARS, `prompt must be at most ${MAX_PROMPT_CHARS} characters`);

export const qualitySchema = z.enum(QUALITIES, {
  error: `quality must be one of ${QUALITIES.join(", ")}`,
});
export const aspectRatioSchema = z.enum(ASPECT_RATIOS, {
  error: `aspectRatio must be one of ${ASPECT_RATIOS.join(", ")}`,
});
export const imageSizeSchema = z.enum(IMAGE_SIZES, {
  error: `imageSize must be one of ${IMAGE_SIZES.join(", ")}`,
});

/** A reference image: an upload's id (POST /uploads) or an https URL the worker fetches. */
export const referenceSchema = z
  .string({ error: "each image must be an upload id or an https URL" })
  .max(2048, "an image URL must be at most 2048 characters")
  .refine(
    (s) => UPLOAD_ID.test(s) || /^https:\/\/[^\s]+$/.test(s),
    "each image must be an upload id (upl_…, from POST /uploads) or an https URL",
  );

export const formatSchema = z.enum(IMAGE_FORMATS, {
  error: `format must be one of ${IMAGE_FORMATS.join(", ")}`,
});

/**
 * standard: drawn now, at the model's price. economy: gathered into the maker's batch mode
 * (Gemini Batch Mode), drawn within a day at its batch price, half the standard one.
 */
export const TIERS = ["standard", "economy"] as const;
export type Tier = (typeof TIERS)[number];
export const tierSchema = z.enum(TIERS, { error: `tier must be one of ${TIERS.join(", ")}` });

/** What an economy image not finished by its deadline becomes. */
export const ON_DEADLINE = ["standard", "fail"] as const;
export type OnDeadline = (typeof ON_DEADLINE)[number];

/** The longest an economy image may wait: Gemini expires a batch job after 48 hours. */
export const MAX_ECONOMY_WAIT_MS = 48 * 3_600_000;
/** An economy image's deadline when the request names none (Gemini's 24-hour target). */
export const DEFAULT_ECONOMY_WAIT_MS = 24 * 3_600_000;

/** Caller-owned labels carried on the record untouched; small on purpose (it is stored per row). */
export const metadataSchema = z
  .record(z.string().max(64), z.union([z.string().max(512), z.number(), z.boolean()]))
  .refine((m) => Object.keys(m).length <= 20, "metadata may hold at most 20 keys");

/**
 * Body of POST /generate (and one item of a batch), as sent: unknown fields are refused,
 * and what is left out stays out, so the user's preferences can fill it (resolveRequest).
 */
export const generateBodySchema = z.strictObject({
  prompt: promptSchema,
  quality: qualitySchema.optional(),
  model: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, "model must be a model name such as sketch-v1")
    .optional(),
  aspectRatio: aspectRatioSchema.optional(),
  /** Output size: 512, 1K (default), 2K or 4K, as the chosen model offers. */
  imageSize: imageSizeSchema.optional(),
  /** Images the model draws from or edits: "put this product on a marble counter". */
  images: z
    .array(referenceSchema, { error: "images must be an array of upload ids or https URLs" })
    .max(MAX_REFERENCE_IMAGES, `images may hold at most ${MAX_REFERENCE_IMAGES} images`)
    .optional(),
  format: formatSchema.optional(),
  metadata: metadataSchema.optional(),
  webhook: webhookRequestSchema.optional(),
  /** false: always draw anew (and do not keep the result for others). */
  cache: z.boolean({ error: "cache must be true or false" }).optional(),
  /** standard (default) or economy: half price through the maker's batch mode, within a day. */
  tier: tierSchema.optional(),
  /** Economy: finished by this time (ISO 8601, at most 48 hours ahead), else `onDeadline`. */
  deadline: z
    .string({ error: "deadline must be an ISO 8601 time such as 2026-11-27T09:00:00Z" })
    .datetime({
      offset: true,
      message: "deadline must be an ISO 8601 time such as 2026-11-27T09:00:00Z",
    })
    .optional(),
  /** Economy: an image not finished by its deadline is drawn at standard price, or fails. */
  onDeadline: z
    .enum(ON_DEADLINE, { error: `onDeadline must be one of ${ON_DEADLINE.join(", ")}` })
    .optional(),
});
export type GenerateBody = z.infer<typeof generateBodySchema>;

/** A user's defaults for what their requests leave out (GET/PUT /user/:id/preferences). */
export const preferencesSchema = z.strictObject({
  quality: qualitySchema.optional(),
  aspectRatio: aspectRatioSchema.optional(),
  imageSize: imageSizeSchema.optional(),
  format: formatSchema.optional(),
  webhook: webhookRequestSchema.optional(),
  /** The model the user's requests draw with when they name none (instead of the routing table). */
  model: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{0,63}$/,
      "model must be a model name such as gemini-3.1-flash-image",
    )
    .optional(),
  /** The tier requests draw at when they name none (standard unless set). */
  tier: tierSchema.optional(),
  /** The user's own monthly spending cap in USD; the lower of this and MONTHLY_BUDGET_USD applies. */
  monthlyBudgetUsd: z
    .number({ error: "monthlyBudgetUsd must be a number of dollars" })
    .min(0)
    .optional(),
});
export type Preferences = z.infer<typeof preferencesSchema>;

/** Fields a request may leave out that are always decided before it is accepted. */
type DecidedFields = "quality" | "aspectRatio" | "imageSize" | "format" | "tier";

/** The request with every field decided: what was sent, else the user's preference, else the default. */
export type GenerateRequest = Omit<GenerateBody, DecidedFields> &
  Required<Pick<GenerateBody, DecidedFields>>;

export function resolveRequest(body: GenerateBody, preferences: Preferences = {}): GenerateRequest {
  const webhook = body.webhook ?? preferences.webhook;
  return {
    prompt: body.prompt,
    quality: body.quality ?? preferences.quality ?? "standard",
    aspectRatio: body.aspectRatio ?? preferences.aspectRatio ?? "1:1",
    imageSize: body.imageSize ?? preferences.imageSize ?? "1K",
    format: body.format ?? preferences.format ?? "png",
    tier: body.tier ?? preferences.tier ?? "standard",
    cache: body.cache ?? true,
    ...(body.deadline ? { deadline: body.deadline } : {}),
    ...(body.onDeadline ? { onDeadline: body.onDeadline } : {}),
    ...(body.model ? { model: body.model } : {}),
    ...(body.images?.length ? { images: body.images } : {}),
    ...(body.metadata ? { metadata: body.metadata } : {}),
    ...(webhook ? { webhook } : {}),
  };
}

export const DEFAULT_BATCH_MAX_ITEMS = 1000;

/**
 * Body of POST /generate-batch: items as /generate; a batch-wide webhook, tier, deadline and
 * onDeadline are the items' defaults.
 */
export function batchRequestSchema(maxItems: number) {
  return z.strictObject({
    items: z
      .array(generateBodySchema, { error: "items must be an array of generation requests" })
      .min(1, "items must hold at least one request")
      .max(maxItems, `items may hold at most ${maxItems} requests`),
    webhook: webhookRequestSchema.optional(),
    tier: generateBodySchema.shape.tier,
    deadline: generateBodySchema.shape.deadline,
    onDeadline: generateBodySchema.shape.onDeadline,
  });
}
export type BatchRequest = z.infer<ReturnType<typeof batchRequestSchema>>;

export interface BatchRecord {
  id: string;
  userId: string;
  total: number;
  /** Item ids in request order. */
  ids: string[];
  webhook: { url: string; events: string[] } | null;
  createdAt: string;
  /** When the last item reached a terminal status (set once). */
  completedAt: string | null;
}

export type StatusCounts = Record<GenerationStatus, number>;

export interface BatchSummary {
  id: string;
  userId: string;
  total: number;
  counts: StatusCounts;
  /** Share of items in a terminal status, 0..1. */
  progress: number;
  cost: { usd: number };
  createdAt: string;
  completedAt: string | null;
}

export const GENERATION_STATUSES = [
  "queued",
  /** Economy: in a batch job at the maker, which draws it within the day. */
  "submitted",
  "processing",
  "completed",
  "failed",
  "canceled",
] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];
export const TERMINAL_STATUSES: readonly GenerationStatus[] = ["completed", "failed", "canceled"];

/** Where the pipeline is; with `timings` it tells a poller what is taking the time. */
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

/**
 * Who decided a prompt's label: the local classifier, or the second opinion (a small Gemini
 * text model asked when the local classifier is unsure, CLASSIFIER_SECOND_OPINION).
 */
export const CLASSIFICATION_SOURCES = ["local", "gemini"] as const;
export type ClassificationSource = (typeof CLASSIFICATION_SOURCES)[number];

const labelShape = {
  domain: z.enum(DOMAINS as [string, ...string[]]),
  subcategory: z.enum(subcategories),
};

/** A second opinion as a generation (or POST /classify) used it. */
export const secondOpinionUseSchema = z.object({
  model: z.string(),
  /** What asking cost this request: 0 when the answer came from the cache. */
  costUsd: z.number(),
  /** The answer was one given before for the same prompt and model. */
  cached: z.boolean(),
  /** The model's own short reason for its label. */
  reason: z.string().optional(),
  /** Why its answer was not used (a failed call, an answer that was not a label). */
  error: z.string().optional(),
});
export type SecondOpinionUse = z.infer<typeof secondOpinionUseSchema>;

/** What a generation keeps of its prompt's classification. */
export const classificationSummarySchema = z.object({
  ...labelShape,
  /**
   * The local classifier's confidence in its own label, whoever decided: what decides whether a
   * second opinion is asked, and what the operations totals' confidence buckets count.
   */
  confidence: z.number(),
  /** What the label is sure of, and so how specific the template was. */
  certainty: z.enum(CERTAINTIES).optional(),
  /** Who decided the label (absent on records made before there was a choice: local). */
  source: z.enum(CLASSIFICATION_SOURCES).optional(),
  /** The local classifier's own answer, kept when the second opinion decided another label. */
  local: z
    .object({ ...labelShape, confidence: z.number(), certainty: z.enum(CERTAINTIES) })
    .optional(),
  /** Set when a second opinion was asked, whether or not its answer was used. */
  secondOpinion: secondOpinionUseSchema.optional(),
});
export type ClassificationSummary = z.infer<typeof classificationSummarySchema>;

/** The template that wrote a generation's specification; `variant` is its A/B arm. */
export interface TemplateUse {
  id: string;
  version: number;
  variant: "a" | "b";
}

/** `POST /generation/:id/feedback`: the caller's verdict on the image. */
export const feedbackSchema = z.strictObject({
  rating: z.enum(["up", "down"], { error: 'must be "up" or "down"' }),
  comment: z.string().trim().max(1000, "comment must be at most 1000 characters").optional(),
});
export type FeedbackInput = z.infer<typeof feedbackSchema>;

export interface Feedback {
  rating: FeedbackInput["rating"];
  comment: string | null;
  at: string;
}

/** Per template and variant: how many images it wrote, and what callers said of them. */
export interface TemplateStats {
  template: string;
  variant: string;
  generations: number;
  up: number;
  down: number;
}

export interface ImageInfo {
  url: string;
  mimeType: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
  /** Key in the BlobStore; internal, never shown to callers. */
  key: string;
}

/** One call of a generation to the model, as the record shows it when there was more than one brief. */
export interface ProviderAttempt {
  model: string;
  /** The template id whose brief was sent. */
  template: string;
  outcome: "refused" | "drawn";
  costUsd: number;
  message?: string;
}

/** One reference image of a generation: where it came from, and once loaded, what it was. */
export interface ReferenceImage {
  /** The upload id or URL as the request gave it. */
  source: string;
  sha256: string | null;
  mimeType: string | null;
}

export interface GenerationError {
  code: string;
  message: string;
  retryable: boolean;
}

export interface GenerationRecord {
  id: string;
  userId: string;
  batchId: string | null;
  status: GenerationStatus;
  stage: Stage;
  prompt: string;
  quality: GenerateRequest["quality"];
  aspectRatio: GenerateRequest["aspectRatio"];
  imageSize: GenerateRequest["imageSize"];
  format: GenerateRequest["format"];
  requestedModel: string | null;
  /** Why the model that drew was chosen ("requested", "route diagrams → …", "fallback after …"). */
  modelReason: string | null;
  /** Reference images as requested, then as loaded (their sha256 decide the cache key). */
  references: ReferenceImage[];
  /** Set when a refused drawing was tried again with a plainer brief: both tries, and their cost. */
  providerAttempts?: ProviderAttempt[];
  metadata: Record<string, string | number | boolean>;
  /** Where to send events about this generation, and which. */
  webhook: { url: string; events: string[] } | null;
  classification: ClassificationSummary | null;
  enhancedPrompt: string | null;
  template: TemplateUse | null;
  /** The caller's latest feedback on the image. */
  feedback: Feedback | null;
  provider: string | null;
  model: string | null;
  cached: boolean;
  /** Whether this request may use and fill the cache (the request's `cache`). */
  useCache: boolean;
  /** The cache key of what this request draws; null until enhanced. */
  cacheKey: string | null;
  /**
   * usd: what this generation cost; savedUsd: what a cache hit saved; economySavedUsd: what
   * the economy tier saved against the standard price (economy images only).
   */
  cost: { usd: number; savedUsd: number; economySavedUsd?: number };
  /** standard, or economy (the maker's batch mode, at its batch price). */
  tier: Tier;
  /** Economy: when it must be finished by (ISO time), and what happens if it is not. */
  deadline: string | null;
  onDeadline: OnDeadline;
  /** Economy: the maker's batch job drawing it, once submitted. */
  providerJob: { id: string; name: string; model: string; submittedAt: string } | null;
  /** Why an economy request was drawn at the standard tier after all (expired, deadline…). */
  tierReason: string | null;
  /** Tokens the model reported for the image it drew. */
  usage: { inputTokens: number; outputTokens: number; totalTokens: number } | null;
  /** Calls made to the model over all attempts (retries and fallback included). */
  providerCalls: number;
  /** Text the model said alongside the image. */
  note: string | null;
  image: ImageInfo | null;
  error: GenerationError | null;
  attempts: number;
  /** Milliseconds per stage, plus queuedMs (accepted → picked up) and totalMs. */
  timings: Record<string, number>;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/**
 * What is left of a generation's budget of provider calls (GENERATION_MAX_PROVIDER_CALLS):
 * the retries of every layer (provider, job) draw from one budget, so a bad prompt cannot
 * multiply them into a large bill.
 */
export const callsLeft = (
  maxProviderCalls: number,
  record: Pick<GenerationRecord, "providerCalls">,
) => Math.max(0, maxProviderCalls - record.providerCalls);

export function newGenerationRecord(input: {
  id: string;
  userId: string;
  /** imageSize may be left out here (1K), so records made by hand stay short. */
  request: Omit<GenerateRequest, "imageSize" | "tier"> & { imageSize?: ImageSize; tier?: Tier };
  batchId?: string | null;
  now?: Date;
}): GenerationRecord {
  const at = (input.now ?? new Date()).toISOString();
  return {
    id: input.id,
    userId: input.userId,
    batchId: input.batchId ?? null,
    status: "queued",
    stage: "queued",
    prompt: input.request.prompt,
    quality: input.request.quality,
    aspectRatio: input.request.aspectRatio,
    imageSize: input.request.imageSize ?? "1K",
    format: input.request.format,
    requestedModel: input.request.model ?? null,
    modelReason: null,
    references: (input.request.images ?? []).map((source) => ({
      source,
      sha256: null,
      mimeType: null,
    })),
    metadata: input.request.metadata ?? {},
    webhook: input.request.webhook ?? null,
    classification: null,
    enhancedPrompt: null,
    template: null,
    feedback: null,
    provider: null,
    model: null,
    cached: false,
    useCache: input.request.cache ?? true,
    cacheKey: null,
    cost: { usd: 0, savedUsd: 0 },
    tier: input.request.tier ?? "standard",
    deadline:
      (input.request.tier ?? "standard") === "economy"
        ? (input.request.deadline ??
          new Date(Date.parse(at) + DEFAULT_ECONOMY_WAIT_MS).toISOString())
        : null,
    onDeadline: input.request.onDeadline ?? "standard",
    providerJob: null,
    tierReason: null,
    usage: null,
    providerCalls: 0,
    note: null,
    image: null,
    error: null,
    attempts: 0,
    timings: {},
    createdAt: at,
    updatedAt: at,
    completedAt: null,
  };
}

/** What the cache keeps per key: enough to complete a generation without the provider. */
export interface CacheEntry {
  key: string;
  image: ImageInfo;
  provider: string;
  model: string;
  /** What drawing it cost the first time: the saving of every hit. */
  costUsd: number;
  createdAt: string;
}

/** An API key kept by the service: only its SHA-256 hash, never the key itself. */
export interface ApiKeyRecord {
  /** Non-secret name of the key: the first 12 hex of its hash. */
  keyId: string;
  hash: string;
  userId: string;
  admin: boolean;
  createdAt: string;
  revokedAt: string | null;
}

/** A user's own wording for one subcategory and tier, used instead of the stock template. */
export const customTemplateSchema = z.strictObject({
  subcategory: z.enum(subcategories, {
    error: `subcategory must be one of ${subcategories.join(", ")}`,
  }),
  quality: qualitySchema,
  lead: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .refine(
      (lead) => lead.includes("{subject}"),
      "lead must contain {subject}, where the prompt goes",
    ),
  clauses: z
    .array(z.string().trim().min(1).max(300))
    .min(1, "clauses must hold at least one clause")
    .max(20),
});
export type CustomTemplateInput = z.infer<typeof customTemplateSchema>;

export interface CustomTemplate extends CustomTemplateInput {
  /** "{subcategory}.{quality}": one per subcategory and tier per user. */
  id: string;
  userId: string;
  /** Increases on every change; part of the cache key, so edited wording draws anew. */
  version: number;
  updatedAt: string;
}
