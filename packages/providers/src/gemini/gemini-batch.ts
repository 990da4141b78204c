import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  ApiError,
  type GenerateContentResponse,
  type GoogleGenAI,
  type InlinedRequest,
} from "@google/genai";
import type { ImageSize } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import type {
  BatchDrawing,
  BatchImageRequest,
  BatchItemResult,
  BatchJobRef,
  BatchJobState,
  BatchJobStatus,
} from "../image-provider.ts";
import type { ModelRateLimiter } from "../rate-limit.ts";
import { describe, parseRetryAfter, TRANSIENT_STATUS } from "./api-errors.ts";
import { interpretResponse } from "./interpret.ts";
import { imageContentRequest } from "./request.ts";

/** Google's limit on a batch create request with inlined requests; larger goes as a file. */
export const GEMINI_BATCH_INLINE_LIMIT_BYTES = 20 * 1000 * 1000;

export interface GeminiBatchOptions {
  client: GoogleGenAI;
  /** USD for one image of a model at a size in batch mode. */
  batchPriceOf: (model: string, imageSize: ImageSize) => number;
  /** The largest create request sent with its requests inlined (bytes of JSON). */
  inlineLimitBytes: number;
  rateLimiter?: ModelRateLimiter | undefined;
  logger?: Logger | undefined;
}

/** Gemini's job states (the SDK's JOB_STATE_*, from the API's BATCH_STATE_*) in our words. */
const STATES: Readonly<Record<string, BatchJobState>> = {
  JOB_STATE_PENDING: "pending",
  JOB_STATE_QUEUED: "pending",
  JOB_STATE_RUNNING: "running",
  JOB_STATE_SUCCEEDED: "succeeded",
  // Vertex's word for a job that ended with some requests failed: each answer says which.
  JOB_STATE_PARTIALLY_SUCCEEDED: "succeeded",
  JOB_STATE_FAILED: "failed",
  JOB_STATE_CANCELLED: "cancelled",
  JOB_STATE_EXPIRED: "expired",
};
const ENDED: ReadonlySet<BatchJobState> = new Set(["succeeded", "failed", "cancelled", "expired"]);

/**
 * The google.rpc.Code of a batch item's error that another try may get past: UNKNOWN,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE (and the HTTP statuses
 * that say the same, should an answer carry one).
 */
const TRANSIENT_RPC_CODES = new Set([2, 4, 8, 10, 13, 14, ...TRANSIENT_STATUS]);

/** One request's answer as Gemini gives it, inlined or as a JSONL line. */
interface Answer {
  key: string | undefined;
  response?: unknown;
  error?: { code?: number; message?: string; status?: string };
}

const JOB_NAME = /^batches\/[^/]+$/;
const bareModel = (model: string | undefined) => (model ?? "").replace(/^models\//, "");

/**
 * Gemini's Batch Mode through the SDK's `batches` and `files`: the same requests `generate`
 * sends, as one job drawn within a day at the batch price. The answers come back inlined in
 * the job, or in a JSONL file when the requests went as one.
 *
 * Errors from Google are AppErrors: 408/429/5xx, timeouts and resets retryable, other 4xx not.
 * Nothing is retried here: the caller's poller asks again later.
 */
export function createGeminiBatch(options: GeminiBatchOptions): BatchDrawing {
  const { client } = options;
  const log = options.logger;

  /** A failed SDK call as an AppError that says whether another try could succeed. */
  function translate(what: string, error: unknown, retryAfterMs?: number): AppError {
    if (error instanceof AppError) return error;
    if (error instanceof ApiError) {
      return new AppError(
        "PROVIDER_ERROR",
        `Gemini batch ${what} answered ${error.status}: ${describe(error)}`,
        {
          retryable: TRANSIENT_STATUS.has(error.status),
          details: { status: error.status, ...(retryAfterMs ? { retryAfterMs } : {}) },
          cause: error,
        },
      );
    }
    // Timeouts, connection resets and unreadable answers: worth another try.
    return new AppError("PROVIDER_ERROR", `Gemini batch ${what} failed: ${describe(error)}`, {
      retryable: true,
      cause: error,
    });
  }

  /** Runs one SDK call; its failure becomes an AppError, except the caller's own abort. */
  async function call<T>(
    what: string,
    signal: AbortSignal | undefined,
    run: (fetchWith: typeof fetch) => Promise<T>,
  ): Promise<T> {
    let retryAfterMs: number | undefined;
    // The SDK's ApiError carries no headers, so Retry-After is read on the way through.
    const capturingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      return response;
    };
    signal?.throwIfAborted();
    try {
      return await run(capturingFetch);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw translate(what, error, retryAfterMs);
    }
  }

  const checkJobName = (job: BatchJobRef) => {
    if (!JOB_NAME.test(job.id))
      throw new AppError(
        "PROVIDER_ERROR",
        `"${job.id}" is not a Gemini batch job name (batches/…)`,
      );
  };

  /** An answer's request: by its key, else (an answer without one) by its place in the order. */
  function matchAnswers(
    requests: readonly BatchImageRequest[],
    answers: readonly Answer[],
  ): Map<string, Answer> {
    const wanted = new Set(requests.map((r) => r.key));
    const byKey = new Map<string, Answer>();
    for (const answer of answers)
      if (answer.key !== undefined && wanted.has(answer.key)) byKey.set(answer.key, answer);
    answers.forEach((answer, index) => {
      const key = requests[index]?.key;
      if (answer.key === undefined && key !== undefined && !byKey.has(key)) byKey.set(key, answer);
    });
    return byKey;
  }

  function resultOf(
    model: string,
    request: BatchImageRequest,
    answer: Answer | undefined,
  ): BatchItemResult {
    const { key } = request;
    if (!answer || (answer.response === undefined && answer.error === undefined)) {
      return {
        key,
        ok: false,
        code: "PROVIDER_ERROR",
        message: `${model} batch job gave no answer for this request; it can be drawn again`,
        retryable: true,
      };
    }
    if (answer.error) {
      const code = answer.error.code ?? 2;
      return {
        key,
        ok: false,
        code: "PROVIDER_ERROR",
        message: `${model} could not draw it in the batch (${answer.error.status ?? code}: ${answer.error.message ?? "no message"})`,
        retryable: TRANSIENT_RPC_CODES.has(code),
      };
    }
    try {
      // The same reading generate gives an answer: refusals, text-only and empty answers alike.
      const drawn = interpretResponse(answer.response as GenerateContentResponse, model);
      return {
        key,
        ok: true,
        image: {
          bytes: drawn.bytes,
          mimeType: drawn.mimeType,
          provider: "gemini",
          model,
          costUsd: options.batchPriceOf(model, request.imageSize ?? "1K"),
          ...(drawn.note ? { note: drawn.note } : {}),
          ...(drawn.usage ? { usage: drawn.usage } : {}),
          calls: 1,
        },
      };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return {
        key,
        ok: false,
        code: error.code,
        message: error.message,
        retryable: error.retryable,
      };
    }
  }

  /** The answers of a job whose requests went as a file: its responses file, line by line. */
  async function readResponsesFile(fileName: string, signal: AbortSignal | undefined) {
    const dir = await mkdtemp(join(tmpdir(), "nanobanana-gemini-batch-"));
    try {
      const downloadPath = join(dir, "responses.jsonl");
      await call(`download of ${fileName}`, signal, (fetchWith) =>
        client.files.download({
          file: fileName,
          downloadPath,
          config: {
            httpOptions: { fetch: fetchWith },
            ...(signal ? { abortSignal: signal } : {}),
          },
        }),
      );
      const answers: Answer[] = [];
      // Line by line: a file of many large images need not fit in one string.
      const lines = createInterface({ input: createReadStream(downloadPath), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line.trim()) continue;
        try {
          const parsed = JSON.parse(line) as Answer & { key?: unknown };
          answers.push({
            key: typeof parsed.key === "string" ? parsed.key : undefined,
            ...(parsed.response !== undefined ? { response: parsed.response } : {}),
            ...(parsed.error !== undefined ? { error: parsed.error } : {}),
          });
        } catch {
          // A line that is not JSON answers nothing: its request is reported unanswered.
          log?.warn({ fileName, line: line.slice(0, 200) }, "unreadable line in a batch's answers");
          answers.push({ key: undefined });
        }
      }
      return answers;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    async submit(model, requests, { name, signal }) {
      if (requests.length === 0)
        throw new AppError("INVALID_REQUEST", "a batch job needs at least one request");
      const keys = new Set(requests.map((r) => r.key));
      if (keys.size !== requests.length)
        throw new AppError("INVALID_REQUEST", "each request of a batch job needs its own key");
      signal?.throwIfAborted();
      await options.rateLimiter?.acquire(model, signal);

      // Measured as the SDK sends it: {"batch":{"displayName":…,"inputConfig":{"requests":
      // {"requests":[{"request":{"contents":…,"generationConfig":…},"metadata":{"key":…}},…]}}}}
      const bodies = requests.map((r) => imageContentRequest(r));
      const envelope = JSON.stringify({
        batch: { displayName: name, inputConfig: { requests: { requests: [] } } },
      });
      let inlineBytes = Buffer.byteLength(envelope);
      for (const [index, body] of bodies.entries()) {
        if (inlineBytes > options.inlineLimitBytes) break;
        inlineBytes +=
          (index > 0 ? 1 : 0) +
          Buffer.byteLength(
            JSON.stringify({ request: body, metadata: { key: requests[index]?.key } }),
          );
      }
      const inline = inlineBytes <= options.inlineLimitBytes;

      let src: InlinedRequest[] | string;
      if (inline) {
        src = bodies.map((body, index) => ({
          contents: body.contents,
          config: body.generationConfig,
          metadata: { key: requests[index]?.key ?? "" },
        }));
      } else {
        // One GenerateContentRequest a line, tied back by its key.
        const lines = bodies.map(
          (body, index) => `${JSON.stringify({ key: requests[index]?.key, request: body })}\n`,
        );
        const file = await call(`upload of ${name}'s requests`, signal, (fetchWith) =>
          client.files.upload({
            file: new Blob(lines, { type: "application/jsonl" }),
            config: {
              displayName: name,
              mimeType: "jsonl",
              httpOptions: { fetch: fetchWith },
              ...(signal ? { abortSignal: signal } : {}),
            },
          }),
        );
        if (!file.name)
          throw new AppError("PROVIDER_ERROR", "Gemini accepted the upload but named no file", {
            retryable: true,
          });
        src = file.name;
        log?.info(
          { name, file: file.name, requests: requests.length, bytes: file.sizeBytes },
          "batch requests uploaded as a file (over the inline limit)",
        );
      }

      const job = await call(`create of ${name}`, signal, (fetchWith) =>
        client.batches.create({
          model,
          src,
          config: {
            displayName: name,
            httpOptions: { fetch: fetchWith },
            ...(signal ? { abortSignal: signal } : {}),
          },
        }),
      );
      if (!job.name)
        throw new AppError("PROVIDER_ERROR", `Gemini created ${name} but named no job`, {
          retryable: true,
        });
      log?.info(
        { job: job.name, name, model, requests: requests.length, inline },
        "Gemini batch job submitted",
      );
      return { id: job.name, model, name, submittedAt: new Date().toISOString() };
    },

    async check(job, requests, { signal } = {}): Promise<BatchJobStatus> {
      checkJobName(job);
      const found = await call(`get of ${job.id}`, signal, (fetchWith) =>
        client.batches.get({
          name: job.id,
          config: { httpOptions: { fetch: fetchWith }, ...(signal ? { abortSignal: signal } : {}) },
        }),
      );
      const raw = String(found.state ?? "JOB_STATE_UNSPECIFIED");
      let state = STATES[raw];
      if (!state) {
        log?.warn(
          { job: job.id, state: raw },
          "Gemini batch job in a state we do not know; taken as running",
        );
        state = "running";
      }
      if (state !== "succeeded") {
        return ENDED.has(state)
          ? {
              state,
              message: `Gemini batch job ${job.id} ended ${raw.replace("JOB_STATE_", "")}${found.error?.message ? `: ${found.error.message}` : ""}`,
            }
          : { state };
      }
      let answers: Answer[];
      if (found.dest?.inlinedResponses) {
        answers = found.dest.inlinedResponses.map((r) => ({
          key: typeof r.metadata?.key === "string" ? r.metadata.key : undefined,
          ...(r.response !== undefined ? { response: r.response } : {}),
          ...(r.error !== undefined ? { error: r.error as Answer["error"] } : {}),
        }));
      } else if (found.dest?.fileName) {
        answers = await readResponsesFile(found.dest.fileName, signal);
      } else {
        log?.warn({ job: job.id }, "Gemini batch job succeeded with no answers");
        answers = [];
      }
      const matched = matchAnswers(requests, answers);
      return {
        state,
        results: requests.map((request) => resultOf(job.model, request, matched.get(request.key))),
      };
    },

    async cancel(job) {
      checkJobName(job);
      try {
        await call(`cancel of ${job.id}`, undefined, (fetchWith) =>
          client.batches.cancel({ name: job.id, config: { httpOptions: { fetch: fetchWith } } }),
        );
      } catch (error) {
        if (!(error instanceof AppError) || error.retryable) throw error;
        const status = (error.details as { status?: number } | undefined)?.status;
        // Gone, or refused because it has ended: either way there is nothing left to stop.
        if (status === 404) return;
        const found = await call(`get of ${job.id}`, undefined, () =>
          client.batches.get({ name: job.id }),
        );
        if (ENDED.has(STATES[String(found.state)] ?? "running")) return;
        throw error;
      }
    },

    async find(name, model) {
      const pager = await call("list", undefined, (fetchWith) =>
        client.batches.list({ config: { pageSize: 100, httpOptions: { fetch: fetchWith } } }),
      );
      try {
        for await (const job of pager) {
          if (job.name && job.displayName === name && bareModel(job.model) === model)
            return {
              id: job.name,
              model,
              name,
              submittedAt: job.createTime ?? new Date().toISOString(),
            };
        }
      } catch (error) {
        // The later pages are fetched by the pager as it goes.
        throw translate("list", error);
      }
      return null;
    },
  };
}
