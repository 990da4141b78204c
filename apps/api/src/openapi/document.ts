import {
  BATCH_ID,
  batchRequestSchema,
  customTemplateSchema,
  DOMAINS,
  feedbackSchema,
  GENERATION_ID,
  GENERATION_STATUSES,
  generateBodySchema,
  preferencesSchema,
  USER_ID,
} from "@nanobanana/domain";
import { REFERENCE_LIMITS } from "@nanobanana/references";
import { THUMBNAIL_SIZES } from "@nanobanana/thumbnails";
import { MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES } from "../body-limits.ts";
import { MAX_JSON_DEPTH } from "../http-errors.ts";
import { newKeyBody } from "../routes/admin.ts";
import { classifyBody, enhanceBody } from "../routes/prompts.ts";
import { base64Body, MAX_UPLOAD_JSON_BYTES } from "../routes/uploads.ts";
import { requestJsonSchema } from "./request-schemas.ts";
import { responseComponents } from "./response-schemas.ts";

export interface OpenApiOptions {
  /** BATCH_MAX_ITEMS: the most items POST /generate-batch takes. */
  batchMaxItems: number;
  /** PUBLIC_URL: the server the document names; "/" (where it is served from) when unset. */
  publicUrl?: string | undefined;
}

type Json = Record<string, unknown>;

const KIB = 1024;
const MIB = 1024 * KIB;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ "application/json": { schema } });

/**
 * An error answer by status, shared by every operation that can give it. A function: the body
 * limits come from app.ts, which imports this module (through the docs routes) in turn.
 */
const errorCatalog = () => ({
  400: {
    name: "BadRequest",
    description:
      "`INVALID_REQUEST`: bad JSON, a field, query number or id out of range or malformed (the message names it), an unknown field.",
  },
  401: {
    name: "Unauthorized",
    description: "`UNAUTHORIZED`: no API key, or one that is not known (or was revoked).",
  },
  403: { name: "Forbidden", description: "`FORBIDDEN`: this needs an admin key." },
  404: {
    name: "NotFound",
    description: "`NOT_FOUND`: it does not exist, or it is not yours.",
  },
  409: { name: "Conflict", description: "`CONFLICT`: not in a state that allows this." },
  413: {
    name: "PayloadTooLarge",
    description: `\`PAYLOAD_TOO_LARGE\`: a body over ${MAX_BODY_BYTES / KIB} KiB (${MAX_BATCH_BODY_BYTES / MIB} MiB for /generate-batch), or an upload over ${REFERENCE_LIMITS.maxBytes / MIB} MiB.`,
  },
  415: {
    name: "UnsupportedMediaType",
    description:
      "`UNSUPPORTED_MEDIA_TYPE`: a Content-Encoding other than gzip, deflate or br, or a charset other than UTF-8.",
  },
  429: {
    name: "RateLimited",
    description:
      "`RATE_LIMITED`: more than RATE_LIMIT requests in a minute for this key; retry after `Retry-After` seconds.",
  },
  500: {
    name: "Internal",
    description: "`INTERNAL`: something went wrong on our side; it has been logged.",
  },
  503: {
    name: "ServiceUnavailable",
    description:
      "`SERVICE_UNAVAILABLE`: our storage is unreachable; nothing was accepted, try again shortly.",
  },
});
type ErrorStatus = keyof ReturnType<typeof errorCatalog>;

const errorResponses = (): Json =>
  Object.fromEntries(
    Object.values(errorCatalog()).map(({ name, description }) => [
      name,
      {
        description,
        content: json(ref("Error")),
        ...(name === "RateLimited"
          ? {
              headers: {
                "Retry-After": {
                  description: "Seconds until the key may send again.",
                  schema: { type: "integer", minimum: 1 },
                },
              },
            }
          : {}),
      },
    ]),
  );

interface Operation {
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** Default: the API key. `public` for the few routes that take none. */
  auth?: "key" | "public";
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
  /** Errors this operation answers besides those of every authenticated one (401, 429, 500, 503). */
  errors?: ErrorStatus[];
}

function operation(op: Operation): Json {
  const keyed = (op.auth ?? "key") === "key";
  const errors = new Set<ErrorStatus>([...(op.errors ?? []), 500]);
  if (keyed) for (const status of [401, 429, 503] as const) errors.add(status);
  const responses: Json = { ...op.responses };
  const catalog = errorCatalog();
  for (const status of [...errors].sort((a, b) => a - b)) {
    responses[String(status)] = { $ref: `#/components/responses/${catalog[status].name}` };
  }
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(keyed ? {} : { security: [] }),
    ...(op.parameters ? { parameters: op.parameters } : {}),
    ...(op.requestBody ? { requestBody: op.requestBody } : {}),
    responses,
  };
}

/**
 * A JSON request body: the schema the route validates with, converted by zod, and an example
 * (what "Try it out" starts from instead of values made up from the schema's patterns).
 */
const jsonBody = (schema: Parameters<typeof requestJsonSchema>[0], example: Json) => ({
  required: true,
  content: { "application/json": { schema: requestJsonSchema(schema), example } },
});

const ok = (schemaName: string, description: string, headers?: Json): Json => ({
  description,
  ...(headers ? { headers } : {}),
  content: json(ref(schemaName)),
});

/** A whole number in a query string, refused (400) outside its bounds. */
const intQuery = (
  name: string,
  bounds: { min: number; max: number; default: number },
  description: string,
) => ({
  name,
  in: "query",
  required: false,
  description,
  schema: { type: "integer", minimum: bounds.min, maximum: bounds.max, default: bounds.default },
});

/** A query parameter holding a real day, YYYY-MM-DD (UTC). */
const dayQuery = (name: string, description: string) => ({
  name,
  in: "query",
  required: false,
  description,
  schema: { type: "string", format: "date", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
});

const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });

/** A Server-Sent Events answer: `what` it streams, and when the stream ends. */
const eventStream = (what: string, endsWhen: string): Json => ({
  description: `A Server-Sent Events stream of ${what}. The current state is sent at once, then one event per change; a generation's events are named by its stage (\`classify\` … \`upload\`) or status (\`queued\`, \`submitted\`, \`completed\`, \`failed\`, \`canceled\`) with the record as JSON \`data\`, a batch's are \`progress\` then \`completed\` with its counts. Every event has an \`id\` that grows with each change: a client that reconnects sends the last one it saw as \`Last-Event-ID\` and gets only what is newer. A \`: ping\` comment comes every 15 s. The stream ends when ${endsWhen}.`,
  content: {
    "text/event-stream": {
      schema: { type: "string" },
      example: "id: 176418000000004\nevent: generate\ndata: {…}\n\n",
    },
  },
});

const locationHeader = {
  Location: { description: "The status URL.", schema: { type: "string", format: "uri" } },
};
const replayedHeader = {
  "Idempotent-Replayed": {
    description:
      "`true` when this is the stored answer to an earlier request with the same Idempotency-Key and body: nothing new was accepted.",
    schema: { type: "string", enum: ["true"] },
  },
};

/**
 * The OpenAPI 3.1 document of the HTTP API. Request bodies are the routes' own zod schemas
 * (request-schemas.ts), answers the schemas of response-schemas.ts; openapi.int.test.ts checks
 * that it lists exactly the routes the app registers and that real answers match it.
 */
export function buildOpenApiDocument(options: OpenApiOptions): Json {
  const generationId = {
    name: "id",
    in: "path",
    required: true,
    description: "A generation id (`gen_…`).",
    schema: { type: "string", pattern: GENERATION_ID.source },
  };
  const batchId = {
    name: "id",
    in: "path",
    required: true,
    description: "A batch id (`bat_…`).",
    schema: { type: "string", pattern: BATCH_ID.source },
  };
  const userId = {
    name: "id",
    in: "path",
    required: true,
    description:
      "A user id, or `me` for the key's own user. Another user's needs an admin key (else 403).",
    schema: { type: "string", pattern: USER_ID.source },
  };

  const paths: Record<string, Record<string, Json>> = {
    "/health": {
      get: operation({
        operationId: "getHealth",
        tag: "Service",
        summary: "Readiness: whether Redis and the store answer",
        auth: "public",
        responses: {
          200: ok("Health", "Ready."),
          503: ok("Health", "Not ready; `checks` names what is down."),
        },
      }),
    },
    "/openapi.json": {
      get: operation({
        operationId: "getOpenApiDocument",
        tag: "Service",
        summary: "This document (OpenAPI 3.1)",
        auth: "public",
        responses: {
          200: {
            description: "The OpenAPI document.",
            content: json({ type: "object" }),
          },
        },
      }),
    },
    "/": {
      get: operation({
        operationId: "getConsole",
        tag: "Service",
        summary: "The web console: create, batches, gallery, cost, operations",
        description:
          "Signs in in the browser with an API key (kept for the tab only). Its files are under `/assets/`.",
        auth: "public",
        responses: {
          200: {
            description: "An HTML page.",
            content: { "text/html": { schema: { type: "string" } } },
          },
        },
        errors: [404],
      }),
    },
    "/docs": {
      get: operation({
        operationId: "getApiReference",
        tag: "Service",
        summary: "The API reference: this document rendered (Swagger UI)",
        auth: "public",
        responses: {
          200: {
            description: "An HTML page.",
            content: { "text/html": { schema: { type: "string" } } },
          },
        },
      }),
    },
    "/classify": {
      post: operation({
        operationId: "classifyPrompt",
        tag: "Prompts",
        summary: "Classify a prompt (domain, subcategory, confidence)",
        description:
          "The pipeline's first stage on its own. By default no model is called; it takes microseconds. With `secondOpinion: true`, on a service with the second opinion on (CLASSIFIER_SECOND_OPINION=gemini, else 400), an unsure label (confidence below the service's threshold) is put to a small Gemini text model as a generation's would be: `source` says who decided, `local` keeps the classifier's own label when they differ, and `secondOpinion` what it cost (added to your cost totals; 0 when the answer was cached).",
        requestBody: jsonBody(classifyBody, { prompt: "a red kite over the dunes at sunset" }),
        responses: { 200: ok("Classification", "The classification.") },
        errors: [400, 413, 415],
      }),
    },
    "/enhance": {
      post: operation({
        operationId: "enhancePrompt",
        tag: "Prompts",
        summary: "Preview the brief POST /generate would send",
        description:
          "Exactly what /generate would send for the same request and caller: your preferences fill what the body leaves out, your own template is used, and the A/B arm is the one /generate draws.",
        requestBody: jsonBody(enhanceBody, {
          prompt: "a red kite over the dunes at sunset",
          quality: "premium",
        }),
        responses: { 200: ok("Enhancement", "The brief, its template and the classification.") },
        errors: [400, 413, 415],
      }),
    },
    "/generate": {
      post: operation({
        operationId: "createGeneration",
        tag: "Generations",
        summary: "Submit a prompt to draw",
        description: [
          "Accepts the request and answers `202` with the generation's id and status URL; a worker draws it.",
          "Fields the body leaves out come from your preferences (PUT /user/{id}/preferences), then the defaults: `quality` standard, `aspectRatio` 1:1, `imageSize` 1K, `format` png.",
          "With `Prefer: wait=N` (N from 1 to 60 seconds) the answer waits up to N seconds for the generation to end: `200` with the finished record if it did (and `Preference-Applied: wait=N`), else the usual `202`.",
          "With an `Idempotency-Key`, the same key and body answer the first response again and accept nothing new.",
        ].join("\n\n"),
        parameters: [param("IdempotencyKey"), param("PreferWait")],
        requestBody: jsonBody(generateBodySchema, {
          prompt: "a red kite over the dunes at sunset",
          quality: "standard",
          aspectRatio: "16:9",
          metadata: { campaign: "spring" },
        }),
        responses: {
          200: ok(
            "Generation",
            "Asked to wait (`Prefer: wait=N`), and it ended in time: the record.",
            {
              "Preference-Applied": {
                description: "`wait=N`, the wait that was honoured.",
                schema: { type: "string", pattern: "^wait=\\d{1,2}$" },
              },
            },
          ),
          202: ok("GenerationAccepted", "Accepted: poll `statusUrl` (or follow its events).", {
            ...locationHeader,
            ...replayedHeader,
          }),
        },
        errors: [400, 409, 413, 415],
      }),
    },
    "/uploads": {
      post: operation({
        operationId: "uploadReferenceImage",
        tag: "Uploads",
        summary: "Upload a reference image for images",
        description: `One image of at most ${REFERENCE_LIMITS.maxBytes / MIB} MiB (${REFERENCE_LIMITS.mimeTypes.join(", ")}), sent one of three ways. Its type is read from its bytes, whatever the request says. The answer's \`id\` goes in a later request's \`images\`; uploads are yours alone.`,
        requestBody: {
          required: true,
          description: `multipart/form-data with the image in a field named \`file\`; or the image itself as the body, with its Content-Type; or JSON with the image as base64 in \`data\` (a \`data:\` URL is taken too), up to ${MAX_UPLOAD_JSON_BYTES / MIB} MiB of JSON.`,
          content: {
            "multipart/form-data": {
              schema: {
                type: "object",
                properties: {
                  file: { type: "string", contentMediaType: "application/octet-stream" },
                },
                required: ["file"],
              },
              encoding: { file: { contentType: REFERENCE_LIMITS.mimeTypes.join(", ") } },
            },
            ...Object.fromEntries(
              REFERENCE_LIMITS.mimeTypes.map((type) => [
                type,
                { schema: { type: "string", contentMediaType: type } },
              ]),
            ),
            "application/json": {
              schema: requestJsonSchema(base64Body),
              example: { data: "iVBORw0KGgo…", mimeType: "image/png" },
            },
          },
        },
        responses: { 201: ok("Upload", "Stored.") },
        errors: [400, 413, 415],
      }),
    },
    "/models": {
      get: operation({
        operationId: "listModels",
        tag: "Models",
        summary: "What this deployment draws with, and at what price",
        description:
          "Each model's sizes with their standard and batch prices, aspect ratios and reference-image limit; the default, the fallback and the routing table.",
        responses: { 200: ok("Models", "The models on offer.") },
      }),
    },
    "/generation/{id}/status": {
      get: operation({
        operationId: "getGeneration",
        tag: "Generations",
        summary: "A generation's record",
        parameters: [generationId],
        responses: { 200: ok("Generation", "The record, with its webhook deliveries if any.") },
        errors: [400, 404],
      }),
    },
    "/generation/{id}/events": {
      get: operation({
        operationId: "streamGenerationEvents",
        tag: "Generations",
        summary: "A generation's progress as Server-Sent Events",
        parameters: [generationId, param("LastEventId")],
        responses: { 200: eventStream("a generation's progress", "the generation has ended") },
        errors: [400, 404],
      }),
    },
    "/generation/{id}/thumbnail": {
      get: operation({
        operationId: "getGenerationThumbnail",
        tag: "Generations",
        summary: "A small WebP of a completed generation's image, for galleries",
        description:
          "At most `size` pixels on its longest side, never enlarged; made on first request and kept beside the image.",
        parameters: [
          generationId,
          {
            name: "size",
            in: "query",
            required: false,
            description: "Longest side in pixels.",
            schema: { type: "string", enum: THUMBNAIL_SIZES.map(String), default: "256" },
          },
          {
            name: "If-None-Match",
            in: "header",
            required: false,
            description: "The `ETag` of a copy you hold: `304` if it is still this thumbnail.",
            schema: { type: "string" },
          },
        ],
        responses: {
          200: {
            description: "The WebP bytes (cacheable for a year: an id and size never change).",
            headers: {
              ETag: { description: "Image sha256 and size.", schema: { type: "string" } },
            },
            content: {
              "image/webp": { schema: { type: "string", contentMediaType: "image/webp" } },
            },
          },
          304: { description: "Not modified." },
        },
        errors: [400, 404, 409],
      }),
    },
    "/generation/{id}/image": {
      get: operation({
        operationId: "getGenerationImage",
        tag: "Generations",
        summary: "The image of a completed generation",
        parameters: [
          generationId,
          {
            name: "If-None-Match",
            in: "header",
            required: false,
            description: "The `ETag` of a copy you hold: `304` if it is still this image.",
            schema: { type: "string" },
          },
        ],
        responses: {
          200: {
            description: "The image bytes.",
            headers: {
              ETag: { description: "The image's sha256, quoted.", schema: { type: "string" } },
            },
            content: Object.fromEntries(
              ["image/png", "image/webp", "image/jpeg"].map((type) => [
                type,
                { schema: { type: "string", contentMediaType: type } },
              ]),
            ),
          },
          302: {
            description:
              "Where the store signs URLs (GCS): a short-lived URL to fetch the bytes from.",
            headers: { Location: { schema: { type: "string", format: "uri" } } },
          },
          304: { description: "Your copy (`If-None-Match`) is this image." },
        },
        errors: [400, 404, 409],
      }),
    },
    "/generation/{id}/feedback": {
      post: operation({
        operationId: "rateGeneration",
        tag: "Generations",
        summary: "Rate a completed image (posting again replaces it)",
        parameters: [generationId],
        requestBody: jsonBody(feedbackSchema, {
          rating: "up",
          comment: "exactly the light I wanted",
        }),
        responses: { 200: ok("FeedbackResult", "Recorded.") },
        errors: [400, 404, 409, 413, 415],
      }),
    },
    "/generation/{id}/cancel": {
      post: operation({
        operationId: "cancelGeneration",
        tag: "Generations",
        summary: "Cancel a queued generation",
        description:
          "Works until a worker picks it up (`409` after); a canceled generation costs nothing. Canceling one already canceled answers its record again.",
        parameters: [generationId],
        responses: { 200: ok("Generation", "The canceled record.") },
        errors: [400, 404, 409],
      }),
    },
    "/generate-batch": {
      post: operation({
        operationId: "createBatch",
        tag: "Batches",
        summary: `Submit up to ${options.batchMaxItems} prompts at once`,
        description: [
          "Items take the fields of POST /generate; a batch-level `webhook` applies to every item that has none. The whole request is checked first: a bad item is reported by index (`items[12].prompt must not be empty`) and nothing is accepted.",
          "With an `Idempotency-Key`, the same key and body answer the first response again and accept nothing new.",
        ].join("\n\n"),
        parameters: [param("IdempotencyKey")],
        requestBody: jsonBody(batchRequestSchema(options.batchMaxItems), {
          items: [{ prompt: "a red kite" }, { prompt: "a blue boat", quality: "draft" }],
        }),
        responses: {
          202: ok("BatchAccepted", "Accepted: poll `statusUrl` (or follow its events).", {
            ...locationHeader,
            ...replayedHeader,
          }),
        },
        errors: [400, 409, 413, 415],
      }),
    },
    "/batch/{id}/status": {
      get: operation({
        operationId: "getBatch",
        tag: "Batches",
        summary: "A batch's counts, progress, cost and a page of its items",
        parameters: [
          batchId,
          intQuery("limit", { min: 1, max: 1000, default: 100 }, "Items per page, in item order."),
          {
            name: "cursor",
            in: "query",
            required: false,
            description: "`nextCursor` of the previous page.",
            schema: { type: "string", pattern: "^\\d{1,6}$" },
          },
        ],
        responses: { 200: ok("BatchStatus", "The batch.") },
        errors: [400, 404],
      }),
    },
    "/batch/{id}/events": {
      get: operation({
        operationId: "streamBatchEvents",
        tag: "Batches",
        summary: "A batch's progress as Server-Sent Events",
        parameters: [batchId, param("LastEventId")],
        responses: { 200: eventStream("a batch's progress", "every item has ended") },
        errors: [400, 404],
      }),
    },
    "/batch/{id}/cancel": {
      post: operation({
        operationId: "cancelBatch",
        tag: "Batches",
        summary: "Cancel every queued item of a batch",
        description: "One bulk step; items already started go on.",
        parameters: [batchId],
        responses: { 200: ok("BatchCanceled", "The batch after canceling.") },
        errors: [400, 404],
      }),
    },
    "/user/{id}/history": {
      get: operation({
        operationId: "listHistory",
        tag: "Users",
        summary: "A user's generations, newest first",
        parameters: [
          userId,
          intQuery("limit", { min: 1, max: 100, default: 20 }, "Generations per page."),
          {
            name: "cursor",
            in: "query",
            required: false,
            description: "`nextCursor` of the previous page.",
            schema: { type: "string", maxLength: 64 },
          },
          {
            name: "status",
            in: "query",
            required: false,
            description: "Only generations with this status.",
            schema: { type: "string", enum: [...GENERATION_STATUSES] },
          },
          {
            name: "domain",
            in: "query",
            required: false,
            description: "Only generations classified in this domain.",
            schema: { type: "string", enum: [...DOMAINS] },
          },
          dayQuery("from", "Created on or after this day (UTC)."),
          dayQuery("to", "Created on or before this day (UTC)."),
        ],
        description:
          "With filters, one page reads at most 1000 generations: it may hold fewer than `limit`, even none, with a `nextCursor` to read on. Stop when `nextCursor` is null.",
        responses: { 200: ok("History", "A page of the history.") },
        errors: [400, 403],
      }),
    },
    "/user/{id}/cost": {
      get: operation({
        operationId: "getCost",
        tag: "Users",
        summary: "What a user spent: the day, ISO week and month around a date",
        parameters: [
          userId,
          {
            name: "date",
            in: "query",
            required: false,
            description: "A real day as YYYY-MM-DD (UTC); default today.",
            schema: { type: "string", format: "date", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
          },
        ],
        responses: { 200: ok("Cost", "Totals over completed generations.") },
        errors: [400, 403],
      }),
    },
    "/user/{id}/cost/series": {
      get: operation({
        operationId: "getCostSeries",
        tag: "Users",
        summary: "Spend per day, ISO week or month, by model and quality tier, with the budget",
        parameters: [
          userId,
          {
            name: "by",
            in: "query",
            required: false,
            description: "The period (default day).",
            schema: { type: "string", enum: ["day", "week", "month"], default: "day" },
          },
          intQuery("count", { min: 1, max: 366, default: 30 }, "Periods, up to the current one."),
          dayQuery("date", "The last period is the one holding this day; default today."),
        ],
        responses: { 200: ok("CostSeries", "The periods, oldest first.") },
        errors: [400, 403],
      }),
    },
    "/me": {
      get: operation({
        operationId: "getMe",
        tag: "Users",
        summary: "Whose key this is, and whether it is an admin's",
        responses: { 200: ok("Me", "The key's user.") },
      }),
    },
    "/user/{id}/preferences": {
      get: operation({
        operationId: "getPreferences",
        tag: "Users",
        summary: "A user's defaults for what requests leave out",
        parameters: [userId],
        responses: { 200: ok("Preferences", "The preferences (`{}` when none are set).") },
        errors: [400, 403],
      }),
      put: operation({
        operationId: "setPreferences",
        tag: "Users",
        summary: "Replace a user's preferences, whole",
        parameters: [userId],
        requestBody: jsonBody(preferencesSchema, {
          quality: "premium",
          aspectRatio: "4:3",
          monthlyBudgetUsd: 50,
        }),
        responses: { 200: ok("Preferences", "The preferences as stored.") },
        errors: [400, 403, 413, 415],
      }),
    },
    "/user/{id}/templates": {
      get: operation({
        operationId: "listTemplates",
        tag: "Users",
        summary: "A user's own templates",
        parameters: [userId],
        responses: { 200: ok("CustomTemplateList", "The templates.") },
        errors: [400, 403],
      }),
      post: operation({
        operationId: "putTemplate",
        tag: "Users",
        summary: "Set a user's own template for a subcategory and tier",
        description:
          "One per subcategory and tier: posting again replaces it and bumps its `version` (part of the cache key, so edited wording draws anew).",
        parameters: [userId],
        requestBody: jsonBody(customTemplateSchema, {
          subcategory: "product",
          quality: "premium",
          lead: "A studio photograph of {subject}",
          clauses: ["soft, even light", "a seamless white background"],
        }),
        responses: {
          200: ok("CustomTemplate", "Replaced."),
          201: ok("CustomTemplate", "Created."),
        },
        errors: [400, 403, 413, 415],
      }),
    },
    "/user/{id}/templates/{templateId}": {
      delete: operation({
        operationId: "deleteTemplate",
        tag: "Users",
        summary: "Back to the stock template",
        parameters: [
          userId,
          {
            name: "templateId",
            in: "path",
            required: true,
            description: "`{subcategory}.{quality}`, e.g. `product.premium`.",
            schema: { type: "string", pattern: "^[a-z0-9_]{1,32}\\.(draft|standard|premium)$" },
          },
        ],
        responses: { 204: { description: "Deleted." } },
        errors: [400, 403, 404],
      }),
    },
    "/webhooks/secret": {
      get: operation({
        operationId: "getWebhookSecret",
        tag: "Webhooks",
        summary: "Your webhook signing secret",
        responses: { 200: ok("WebhookSecret", "The secret (made on first use).") },
      }),
    },
    "/webhooks/secret/rotate": {
      post: operation({
        operationId: "rotateWebhookSecret",
        tag: "Webhooks",
        summary: "A new signing secret; the old one keeps signing for a while",
        responses: { 200: ok("WebhookSecretRotated", "The new secret.") },
      }),
    },
    "/webhooks/deliveries": {
      get: operation({
        operationId: "listWebhookDeliveries",
        tag: "Webhooks",
        summary: "Your recent deliveries, each attempt with its status code",
        parameters: [intQuery("limit", { min: 1, max: 200, default: 50 }, "Deliveries to list.")],
        responses: { 200: ok("WebhookDeliveryList", "Newest first.") },
        errors: [400],
      }),
    },
    "/queue/status": {
      get: operation({
        operationId: "getQueueStatus",
        tag: "Admin",
        summary: "Queue depths by state (admin key)",
        responses: { 200: ok("QueueStatus", "The depths.") },
        errors: [403],
      }),
    },
    "/metrics": {
      get: operation({
        operationId: "getMetrics",
        tag: "Admin",
        summary: "Prometheus metrics (admin key)",
        responses: {
          200: {
            description: "The Prometheus text format.",
            content: { "text/plain": { schema: { type: "string" } } },
          },
        },
        errors: [403],
      }),
    },
    "/admin/stats": {
      get: operation({
        operationId: "getOperationsStats",
        tag: "Admin",
        summary: "The whole service: hourly outcomes, error codes, confidence; queues; throughput",
        description:
          "Read from Redis, so it covers every API and worker process (unlike `/metrics`, which is one process's).",
        parameters: [intQuery("hours", { min: 1, max: 168, default: 24 }, "UTC hours, up to now.")],
        responses: { 200: ok("OperationsStats", "The figures.") },
        errors: [400, 403],
      }),
    },
    "/templates/stats": {
      get: operation({
        operationId: "getTemplateStats",
        tag: "Admin",
        summary: "Per template and A/B variant: images, ups, downs (admin key)",
        responses: { 200: ok("TemplateStats", "The statistics.") },
        errors: [403],
      }),
    },
    "/admin/keys": {
      post: operation({
        operationId: "createApiKey",
        tag: "Admin",
        summary: "A new API key, shown once (admin key)",
        description: "Only the key's hash is kept; store the key now.",
        requestBody: jsonBody(newKeyBody, { userId: "carol", admin: false }),
        responses: { 201: ok("NewApiKey", "The key.") },
        errors: [400, 403, 413, 415],
      }),
      get: operation({
        operationId: "listApiKeys",
        tag: "Admin",
        summary: "Keys made at run time (admin key)",
        responses: { 200: ok("ApiKeyList", "The keys, without the keys themselves.") },
        errors: [403],
      }),
    },
    "/admin/keys/{keyId}": {
      delete: operation({
        operationId: "revokeApiKey",
        tag: "Admin",
        summary: "Revoke a key at once (admin key)",
        parameters: [
          {
            name: "keyId",
            in: "path",
            required: true,
            description: "The key's `keyId`.",
            schema: { type: "string" },
          },
        ],
        responses: { 204: { description: "Revoked." } },
        errors: [403, 404],
      }),
    },
  };

  return {
    openapi: "3.1.1",
    info: {
      title: "NanoBanana API",
      version: "0.0.0",
      summary: "Prompt in, professional image out: classify, enhance, generate, store, notify.",
      description: [
        "Every operation but `GET /health`, `GET /openapi.json` and `GET /docs` needs `Authorization: Bearer <key>`. A key belongs to one user, who sees only their own generations; an admin key sees everyone's.",
        `Errors are always JSON, \`{"error":{"code","message"}}\`: switch on \`code\`. JSON bodies must be UTF-8 and nest arrays and objects at most ${MAX_JSON_DEPTH} levels deep; unknown fields are refused.`,
        "Bull Board (`/admin/queues`, a browser UI behind HTTP Basic auth with an admin key as the password) is not part of this API and not described here.",
      ].join("\n\n"),
    },
    servers: [
      options.publicUrl
        ? { url: options.publicUrl }
        : { url: "/", description: "Where this document is served from" },
    ],
    security: [{ apiKey: [] }],
    tags: [
      { name: "Generations", description: "Submit a prompt, follow it, fetch the image." },
      { name: "Batches", description: "Many prompts in one request." },
      { name: "Uploads", description: "Reference images for `images`." },
      { name: "Prompts", description: "The pipeline's first stages on their own." },
      { name: "Models", description: "What this deployment draws with." },
      { name: "Users", description: "History, cost, preferences and templates." },
      { name: "Webhooks", description: "Signing secret and deliveries." },
      { name: "Admin", description: "Operators' routes: they need an admin key." },
      { name: "Service", description: "Health and this documentation: no key needed." },
    ],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description:
            "`Authorization: Bearer <key>`: an API key from API_KEYS or POST /admin/keys.",
        },
      },
      parameters: {
        IdempotencyKey: {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description:
            "Makes retrying safe: the same key with the same body answers the first response again (for IDEMPOTENCY_TTL_HOURS, 24) and accepts nothing new; with another body, or while the first request has not answered, it is `409`.",
          schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,255}$" },
        },
        PreferWait: {
          name: "Prefer",
          in: "header",
          required: false,
          description:
            "`wait=N`, N from 1 to 60 (e.g. `wait=30`): wait up to N seconds for the generation to end and answer `200` with the record if it did.",
          schema: { type: "string" },
        },
        LastEventId: {
          name: "Last-Event-ID",
          in: "header",
          required: false,
          description: "The `id` of the last event received: the stream resumes after it.",
          schema: { type: "string" },
        },
      },
      responses: errorResponses(),
      schemas: responseComponents(),
    },
  };
}
