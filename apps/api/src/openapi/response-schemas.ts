import {
  ASPECT_RATIOS,
  CERTAINTIES,
  CLASSIFICATION_SOURCES,
  classificationSummarySchema,
  customTemplateSchema,
  DOMAINS,
  GENERATION_STATUSES,
  IMAGE_FORMATS,
  IMAGE_SIZES,
  ON_DEADLINE,
  preferencesSchema,
  QUALITIES,
  STAGES,
  secondOpinionUseSchema,
  TAXONOMY,
  TIERS,
  WEBHOOK_EVENTS,
} from "@nanobanana/domain";
import { ERROR_STATUS, type ErrorCode } from "@nanobanana/errors";
import { z } from "zod";

/**
 * What the API answers, as zod schemas turned into the document's components. The routes build
 * these bodies from TypeScript types (presentGeneration, summarizeBatch, …), not from these
 * schemas: openapi.int.test.ts validates real answers against the document to keep them true.
 */
export const responseSchemas = z.registry<{ id: string; description?: string }>();

const named = <S extends z.ZodType>(id: string, schema: S, description?: string): S => {
  responseSchemas.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
};

const isoTime = z.string().meta({ format: "date-time" });
const url = z.string().meta({ format: "uri" });
const subcategories = Object.values(TAXONOMY).flat() as [string, ...string[]];
const domain = z.enum(DOMAINS as [string, ...string[]]);
const subcategory = z.enum(subcategories);

export const errorBody = named(
  "Error",
  z.object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string().meta({ description: "What went wrong and what to do, for people." }),
    }),
  }),
  "Every error answer. Switch on `code` (stable); `message` is for people.",
);

export const generationAccepted = named(
  "GenerationAccepted",
  z.object({
    id: z.string().meta({ example: "gen_01kbq3zq2h8m4v6c0x9r7t5w3y" }),
    status: z.literal("queued"),
    statusUrl: url,
  }),
);

const delivery = named(
  "WebhookDelivery",
  z.object({
    id: z.string().meta({ description: "Also the `webhook-id` header: the same on every retry." }),
    event: z.enum(WEBHOOK_EVENTS),
    subjectId: z.string().meta({ description: "The generation or batch the event is about." }),
    url,
    status: z.enum(["pending", "delivered", "dead", "disabled"]),
    attempts: z.array(
      z.object({
        at: isoTime,
        statusCode: z.int().nullable(),
        error: z.string().nullable(),
        durationMs: z.number(),
      }),
    ),
    lastStatusCode: z.int().nullable(),
    nextAttemptAt: isoTime.nullable(),
    createdAt: isoTime,
    deliveredAt: isoTime.nullable(),
  }),
);

export const generation = named(
  "Generation",
  z.object({
    id: z.string(),
    userId: z.string(),
    batchId: z.string().nullable(),
    status: z.enum(GENERATION_STATUSES),
    stage: z.enum(STAGES).meta({ description: "Where the pipeline is." }),
    prompt: z.string(),
    quality: z.enum(QUALITIES),
    aspectRatio: z.enum(ASPECT_RATIOS),
    imageSize: z.enum(IMAGE_SIZES),
    format: z.enum(IMAGE_FORMATS),
    requestedModel: z.string().nullable(),
    references: z.array(
      z.object({
        source: z.string().meta({ description: "The upload id or URL as the request gave it." }),
        sha256: z.string().nullable(),
        mimeType: z.string().nullable(),
      }),
    ),
    classification: classificationSummarySchema.nullable(),
    enhancedPrompt: z.string().nullable(),
    template: z
      .object({ id: z.string(), version: z.int(), variant: z.enum(["a", "b"]) })
      .nullable()
      .meta({ description: "The template that wrote the brief; `variant` is its A/B arm." }),
    feedback: z
      .object({ rating: z.enum(["up", "down"]), comment: z.string().nullable(), at: isoTime })
      .nullable(),
    provider: z.string().nullable(),
    model: z.string().nullable(),
    modelReason: z.string().nullable().meta({ description: "Why the model that drew was chosen." }),
    cached: z.boolean(),
    cost: z.object({
      usd: z.number().meta({ description: "What this generation cost." }),
      savedUsd: z.number().meta({ description: "What a cache hit saved." }),
      economySavedUsd: z
        .number()
        .optional()
        .meta({ description: "Economy images: what the tier saved against the standard price." }),
    }),
    tier: z.enum(TIERS),
    deadline: isoTime
      .nullable()
      .meta({ description: "Economy: when it must be finished by (else `onDeadline`)." }),
    onDeadline: z.enum(ON_DEADLINE),
    providerJob: z
      .object({ id: z.string(), name: z.string(), model: z.string(), submittedAt: isoTime })
      .nullable()
      .meta({ description: "Economy: the maker's batch job drawing it, once submitted." }),
    tierReason: z.string().nullable().meta({
      description: "Why an economy request was drawn at the standard tier after all.",
    }),
    usage: z
      .object({ inputTokens: z.int(), outputTokens: z.int(), totalTokens: z.int() })
      .nullable(),
    providerCalls: z.int(),
    providerAttempts: z.array(
      z.object({
        model: z.string(),
        template: z.string(),
        outcome: z.enum(["refused", "drawn"]),
        costUsd: z.number(),
        message: z.string().optional(),
      }),
    ),
    note: z.string().nullable().meta({ description: "Text the model said beside the image." }),
    image: z
      .object({
        url,
        mimeType: z.string(),
        width: z.int(),
        height: z.int(),
        bytes: z.int(),
        sha256: z.string(),
      })
      .nullable(),
    error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
    attempts: z.int(),
    timings: z.record(z.string(), z.number()).meta({
      description: "Milliseconds per stage, plus queuedMs (accepted → picked up) and totalMs.",
    }),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    createdAt: isoTime,
    updatedAt: isoTime,
    completedAt: isoTime.nullable(),
    statusUrl: url,
    webhook: z
      .object({
        url,
        events: z.array(z.enum(WEBHOOK_EVENTS)),
        deliveries: z.array(delivery),
      })
      .optional()
      .meta({
        description:
          "Only in GET /generation/{id}/status, when the request named a webhook: its deliveries.",
      }),
  }),
  "A generation record as callers see it.",
);

export const feedbackResult = named(
  "FeedbackResult",
  z.object({
    id: z.string(),
    template: z.object({ id: z.string(), version: z.int(), variant: z.enum(["a", "b"]) }),
    feedback: z.object({
      rating: z.enum(["up", "down"]),
      comment: z.string().nullable(),
      at: isoTime,
    }),
  }),
);

export const batchAccepted = named(
  "BatchAccepted",
  z.object({
    batchId: z.string(),
    ids: z.array(z.string()).meta({ description: "The items' generation ids, in item order." }),
    statusUrl: url,
  }),
);

const batchSummaryShape = {
  id: z.string(),
  userId: z.string(),
  total: z.int(),
  counts: z.record(z.enum(GENERATION_STATUSES), z.int()),
  progress: z.number().min(0).max(1).meta({ description: "Share of items that have ended." }),
  cost: z.object({ usd: z.number() }),
  createdAt: isoTime,
  completedAt: isoTime.nullable().meta({ description: "Set exactly when `progress` is 1." }),
};

export const batchStatus = named(
  "BatchStatus",
  z.object({
    ...batchSummaryShape,
    statusUrl: url,
    items: z.array(generation).meta({ description: "This page of the items, in item order." }),
    nextCursor: z.string().nullable(),
  }),
);

export const batchCanceled = named(
  "BatchCanceled",
  z.object({
    ...batchSummaryShape,
    canceled: z.int().meta({ description: "How many queued items this request canceled." }),
  }),
);

export const history = named(
  "History",
  z.object({ items: z.array(generation), nextCursor: z.string().nullable() }),
);

const costPeriod = z.object({
  period: z.string().meta({ description: '"2026-11-24", "2026-W48" or "2026-11".' }),
  usd: z.number(),
  savedUsd: z.number(),
  images: z.int(),
  cacheHits: z.int(),
  economyImages: z.int().meta({ description: "Images drawn at the economy tier." }),
  economySavedUsd: z
    .number()
    .meta({ description: "What the economy tier's batch price saved (apart from the cache)." }),
});

export const cost = named(
  "Cost",
  z.object({
    userId: z.string(),
    currency: z.literal("USD"),
    day: costPeriod,
    week: costPeriod,
    month: costPeriod,
    byModel: z
      .array(z.object({ model: z.string(), usd: z.number(), images: z.int() }))
      .meta({ description: "Over the month." }),
    byQuality: z
      .array(z.object({ quality: z.string(), usd: z.number(), images: z.int() }))
      .meta({ description: "Over the month, by quality tier." }),
    cache: z
      .object({ hits: z.int(), savedUsd: z.number() })
      .meta({ description: "Over the month." }),
    economy: z
      .object({ images: z.int(), savedUsd: z.number() })
      .meta({ description: "Over the month: economy images and what their batch price saved." }),
  }),
);

export const costSeries = named(
  "CostSeries",
  z.object({
    userId: z.string(),
    currency: z.literal("USD"),
    by: z.enum(["day", "week", "month"]),
    periods: z
      .array(
        costPeriod.extend({
          from: isoTime.meta({ description: "The period's start (inclusive)." }),
          to: isoTime.meta({ description: "The period's end (exclusive)." }),
          byModel: z.array(z.object({ model: z.string(), usd: z.number(), images: z.int() })),
          byQuality: z.array(z.object({ quality: z.string(), usd: z.number(), images: z.int() })),
        }),
      )
      .meta({ description: "Oldest first; the last holds `date` (default today)." }),
    budget: z.object({
      monthlyUsd: z
        .number()
        .nullable()
        .meta({ description: "The cap that applies: the lower of yours and the service's." }),
      month: z.string(),
      monthToDateUsd: z.number(),
    }),
  }),
);

export const me = named(
  "Me",
  z.object({
    userId: z.string(),
    admin: z.boolean(),
    keyId: z.string().meta({ description: "A short, non-secret name of the key." }),
  }),
);

export const preferences = named(
  "Preferences",
  preferencesSchema.extend({
    webhook: z.object({ url: z.string(), events: z.array(z.enum(WEBHOOK_EVENTS)) }).optional(),
  }),
);

export const customTemplate = named(
  "CustomTemplate",
  customTemplateSchema.extend({
    id: z.string().meta({ description: "`{subcategory}.{quality}`" }),
    userId: z.string(),
    version: z.int().meta({ description: "Increases on every change; part of the cache key." }),
    updatedAt: isoTime,
  }),
);

export const templateList = named(
  "CustomTemplateList",
  z.object({ items: z.array(customTemplate) }),
);

const label = { domain, subcategory };

export const classification = named(
  "Classification",
  z.object({
    ...label,
    confidence: z.number().meta({
      description:
        "The local classifier's probability of its own label (which decides whether a second opinion is asked).",
    }),
    scores: z
      .record(domain, z.number())
      .meta({ description: "Probability per domain (the local classifier's)." }),
    alternatives: z.array(z.object({ ...label, score: z.number() })),
    evidence: z.array(z.object({ matched: z.string(), supports: z.string(), weight: z.number() })),
    corrections: z.array(z.object({ from: z.string(), to: z.string() })),
    certainty: z.enum(CERTAINTIES),
    source: z.enum(CLASSIFICATION_SOURCES).meta({
      description:
        "Who decided the label: the local classifier, or the second opinion (a Gemini text model).",
    }),
    local: z
      .object({ ...label, confidence: z.number(), certainty: z.enum(CERTAINTIES) })
      .optional()
      .meta({ description: "The local classifier's own label, when the second opinion differed." }),
    secondOpinion: secondOpinionUseSchema.optional().meta({
      description:
        "Set when a second opinion was asked: its model, cost (0 from the cache), reason, or why it was not used.",
    }),
  }),
);

export const enhancement = named(
  "Enhancement",
  z.object({
    enhancedPrompt: z.string(),
    template: z.object({
      id: z.string(),
      version: z.int(),
      ...label,
      quality: z.enum(QUALITIES),
      variant: z.enum(["a", "b"]),
    }),
    words: z.object({ in: z.int(), out: z.int() }),
    classification,
  }),
);

export const upload = named(
  "Upload",
  z.object({
    id: z.string().meta({ example: "upl_01kbq3zq2h8m4v6c0x9r7t5w3y" }),
    sha256: z.string(),
    mimeType: z.string(),
    width: z.int(),
    height: z.int(),
    bytes: z.int(),
    createdAt: isoTime,
  }),
);

export const models = named(
  "Models",
  z.object({
    provider: z
      .enum(["gemini", "sketch", "openai", "stability"])
      .meta({ description: "The first maker PROVIDER names: its default model draws the rest." }),
    makers: z.array(z.enum(["gemini", "sketch", "openai", "stability"])).meta({
      description: "Every maker PROVIDER names, in the order a request falls back across them.",
    }),
    defaultModel: z.string(),
    fallbackModel: z.string().nullable(),
    routes: z
      .array(
        z.object({
          domain: domain.optional(),
          subcategory: subcategory.optional(),
          quality: z.enum(QUALITIES).optional(),
          model: z.string(),
        }),
      )
      .meta({ description: "Which model draws what, first match wins." }),
    items: z.array(
      z.object({
        id: z.string(),
        provider: z.string(),
        description: z.string(),
        sizes: z.array(
          z.object({ imageSize: z.enum(IMAGE_SIZES), usd: z.number(), batchUsd: z.number() }),
        ),
        aspectRatios: z.array(z.enum(ASPECT_RATIOS)),
        maxReferenceImages: z.int(),
        referenceImages: z.boolean(),
        roles: z.array(z.enum(["default", "fallback", "routed"])),
      }),
    ),
  }),
);

export const webhookSecret = named(
  "WebhookSecret",
  z.object({ secret: z.string().meta({ example: "whsec_…" }) }),
);

export const webhookSecretRotated = named(
  "WebhookSecretRotated",
  z.object({
    secret: z.string(),
    previousSecretValidUntil: isoTime
      .nullable()
      .meta({ description: "Until then deliveries are signed with the old secret too." }),
  }),
);

export const deliveryList = named("WebhookDeliveryList", z.object({ items: z.array(delivery) }));

export const queueStatus = named(
  "QueueStatus",
  z.object({
    queues: z
      .record(z.string(), z.record(z.string(), z.int()))
      .meta({ description: "Per queue, the number of jobs in each state." }),
  }),
);

export const operationsStats = named(
  "OperationsStats",
  z.object({
    hours: z
      .array(
        z.object({
          hour: z.string().meta({ description: 'A UTC hour: "2026-11-26T02".' }),
          completed: z.int(),
          failed: z.int(),
          canceled: z.int(),
          cacheHits: z.int(),
          usd: z.number(),
          errors: z
            .record(z.string(), z.int())
            .meta({ description: "Failed generations by error code." }),
          confidence: z
            .array(z.int())
            .meta({ description: "Generations by classifier confidence, ten buckets of 0.1." }),
        }),
      )
      .meta({ description: "By when generations ended, oldest first." }),
    queues: z.record(z.string(), z.record(z.string(), z.int())),
    throughput: z.object({
      queue: z.string().nullable(),
      completed: z
        .array(z.int())
        .meta({ description: "Jobs per minute, the last 60, oldest first." }),
      failed: z.array(z.int()),
    }),
    links: z.object({ bullBoard: z.string(), metrics: z.string() }),
  }),
);

export const templateStats = named(
  "TemplateStats",
  z.object({
    items: z.array(
      z.object({
        template: z.string(),
        variant: z.string(),
        generations: z.int(),
        up: z.int(),
        down: z.int(),
        feedbackRate: z.number().nullable().meta({ description: "Rated ÷ images." }),
        upRate: z.number().nullable().meta({ description: "Up ÷ rated." }),
      }),
    ),
  }),
);

export const newApiKey = named(
  "NewApiKey",
  z.object({
    key: z.string().meta({ description: "The key itself: shown this once, never again." }),
    keyId: z.string(),
    userId: z.string(),
    admin: z.boolean(),
    createdAt: isoTime,
  }),
);

export const apiKeyList = named(
  "ApiKeyList",
  z.object({
    items: z.array(
      z.object({
        keyId: z.string(),
        userId: z.string(),
        admin: z.boolean(),
        createdAt: isoTime,
        revokedAt: isoTime.nullable(),
      }),
    ),
  }),
);

export const health = named(
  "Health",
  z.object({
    status: z.enum(["ok", "unavailable"]),
    checks: z.record(z.string(), z.string()).meta({ description: '"ok", or what is wrong.' }),
  }),
);

/** The registry as OpenAPI components, each referring to the others by $ref. */
export function responseComponents(): Record<string, Record<string, unknown>> {
  const { schemas } = z.toJSONSchema(responseSchemas, {
    target: "draft-2020-12",
    io: "output",
    uri: (id) => `#/components/schemas/${id}`,
    override: ({ jsonSchema }) => {
      // Answers may gain fields: objects are documented open (zod closes them in output mode).
      if (jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
      // z.int() says "a safe integer" with two 16-digit bounds that read as noise.
      if (jsonSchema.type === "integer") {
        if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
        if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      }
    },
  });
  const out: Record<string, Record<string, unknown>> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _dialect, $id: _id, id: _name, ...rest } = schema as Record<string, unknown>;
    out[id] = rest;
  }
  return out;
}
