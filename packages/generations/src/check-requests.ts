import { type ModelOffer, RETIRED_MODELS, whyModelCannotDraw } from "@nanobanana/config";
import { type GenerateRequest, MAX_ECONOMY_WAIT_MS, UPLOAD_ID } from "@nanobanana/domain";
import { AppError, invalidRequest } from "@nanobanana/errors";
import { checkWebhookTarget, isWebhookRefusal, type Resolver } from "@nanobanana/webhooks";

export interface CheckDeps {
  /** The models a request may name. */
  models: readonly string[];
  /** What each model draws: a request's size, ratio and references are checked against it. */
  offer?: Pick<ModelOffer, "defaultModel" | "models">;
  /** Whether the caller has an upload of this id (so a wrong id is a 400 now, not a failure later). */
  uploadExists?: (uploadId: string) => Promise<boolean>;
  webhooks: {
    allowPrivate: boolean;
    extraPorts?: readonly number[];
    resolve?: Resolver;
    /** All of a request's webhook URLs are checked within this (default 15 s). */
    checkDeadlineMs?: number;
  };
  /** False where the provider has no batch mode: the economy tier is refused at the door. */
  economy?: boolean;
}

/** The soonest an economy deadline may be: a batch job needs a window to gather in. */
const MIN_ECONOMY_WAIT_MS = 60_000;

/**
 * Checks what a request asks for beyond its schema: a model this deployment offers, which
 * draws the size, aspect ratio and number of reference images asked for (the default model
 * when none is named; a route that cannot is passed over when drawing), and reachable public
 * webhook URLs.
 */
export async function checkRequests(
  deps: CheckDeps,
  requests: ReadonlyArray<{
    path: string;
    request: Partial<
      Pick<
        GenerateRequest,
        | "model"
        | "webhook"
        | "imageSize"
        | "aspectRatio"
        | "images"
        | "tier"
        | "deadline"
        | "onDeadline"
      >
    >;
  }>,
  now = Date.now(),
): Promise<void> {
  for (const { path, request } of requests) {
    if (request.tier === "economy" && deps.economy === false) {
      throw invalidRequest(
        `${path}tier: this deployment's provider has no batch mode; use standard`,
      );
    }
    if (request.tier !== "economy" && (request.deadline || request.onDeadline)) {
      throw invalidRequest(
        `${path}deadline and onDeadline are for the economy tier: add "tier": "economy"`,
      );
    }
    if (request.deadline) {
      const wait = Date.parse(request.deadline) - now;
      if (wait < MIN_ECONOMY_WAIT_MS || wait > MAX_ECONOMY_WAIT_MS) {
        throw invalidRequest(
          `${path}deadline must be between a minute and 48 hours from now (Gemini ends a batch job after 48 hours); it is ${request.deadline}`,
        );
      }
    }
    if (request.model && !deps.models.includes(request.model)) {
      const retired = RETIRED_MODELS[request.model];
      throw invalidRequest(
        `${path}model: "${request.model}" is not available${retired ? ` (shut down on ${retired.shutdown}; use ${retired.replacement})` : ""}; choose one of ${deps.models.join(", ")}`,
      );
    }
    const modelId = request.model ?? deps.offer?.defaultModel;
    const model = deps.offer?.models.find((m) => m.id === modelId);
    const why =
      model &&
      whyModelCannotDraw(model, {
        imageSize: request.imageSize ?? "1K",
        aspectRatio: request.aspectRatio ?? "1:1",
        references: request.images?.length ?? 0,
      });
    if (why) throw invalidRequest(`${path}${why}; choose another, or another model (GET /models)`);
    for (const [i, image] of (request.images ?? []).entries()) {
      if (UPLOAD_ID.test(image) && deps.uploadExists && !(await deps.uploadExists(image))) {
        throw invalidRequest(
          `${path}images[${i}]: you have no upload ${image}; POST /uploads first and use the id it answers`,
        );
      }
    }
  }
  // Each distinct URL resolved and checked once, however many items name it, 16 at a time and
  // within WEBHOOK_CHECK_DEADLINE_MS in all: a request must answer well inside its
  // Idempotency-Key's pending window, or a retry could be accepted beside it.
  const firstPathOf = new Map<string, string>();
  for (const { path, request } of requests) {
    const url = request.webhook?.url;
    if (url && !firstPathOf.has(url)) firstPathOf.set(url, path);
  }
  const urls = [...firstPathOf.keys()];
  const failures = new Map<string, Error>();
  let next = 0;
  const checkAll = Promise.all(
    Array.from({ length: Math.min(16, urls.length) }, async () => {
      while (next < urls.length) {
        const url = urls[next++] as string;
        await checkWebhookTarget(url, deps.webhooks).catch((error: Error) =>
          failures.set(url, error),
        );
      }
    }),
  );
  const deadlineMs = deps.webhooks.checkDeadlineMs ?? WEBHOOK_CHECK_DEADLINE_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), deadlineMs);
  });
  const outcome = await Promise.race([checkAll, deadline]);
  clearTimeout(timer);
  if (outcome === "late") {
    throw new AppError(
      "SERVICE_UNAVAILABLE",
      `the webhook hosts did not all resolve within ${deadlineMs / 1000} s; nothing was accepted, try again`,
      { retryable: true },
    );
  }
  // Reported in item order, whatever order the lookups finished in.
  for (const [url, path] of firstPathOf) {
    const error = failures.get(url);
    if (!error) continue;
    // A refused target is the caller's to fix; a DNS hiccup is ours, and worth a retry.
    if (isWebhookRefusal(error)) throw invalidRequest(`${path}webhook: ${error.message}`);
    throw new AppError("SERVICE_UNAVAILABLE", `${path}webhook: ${error.message}`, {
      retryable: true,
    });
  }
}

/** All of a request's webhook URLs are checked within this; see checkRequests. */
const WEBHOOK_CHECK_DEADLINE_MS = 15_000;
