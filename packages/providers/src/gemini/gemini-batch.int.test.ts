import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { ImageSize } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import { freePort } from "@nanobanana/testing";
import {
  type FakeGemini,
  fakeGeminiImageSize,
  startFakeGemini,
} from "@nanobanana/testing/fake-gemini";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeBatchDrawingContract } from "../batch-drawing.contract.ts";
import type {
  BatchDrawing,
  BatchImageRequest,
  BatchJobRef,
  BatchJobStatus,
} from "../image-provider.ts";
import { createGeminiProvider, type GeminiProviderOptions } from "./gemini-provider.ts";

/**
 * Gemini's Batch Mode through the real SDK (`batches`, `files`), over HTTP to the Gemini
 * stand-in, reached only through baseUrl as Google is. The stand-in answers each request of a
 * job as generateContent would, once the job's turnaround has passed.
 */
const TURNAROUND_MS = 400;
let fake: FakeGemini;
beforeAll(async () => {
  // Two jobs a page, so that finding a job by name has to page through the list.
  fake = await startFakeGemini({ batchDelayMs: TURNAROUND_MS, batchPageSize: 2 });
});
afterAll(() => fake.close());

const FLASH = "gemini-3.1-flash-image";
const PRO = "gemini-3-pro-image";
const PRICES: Record<string, Record<string, number>> = {
  [FLASH]: { "512": 0.045, "1K": 0.067, "2K": 0.101, "4K": 0.151 },
  [PRO]: { "1K": 0.134, "2K": 0.134, "4K": 0.24 },
};
const priceOf = (model: string, size: ImageSize) => PRICES[model]?.[size] ?? 0;

const gemini = (overrides: Partial<GeminiProviderOptions> = {}) =>
  createGeminiProvider({
    apiKey: "test-key",
    baseUrl: fake.url,
    model: FLASH,
    premiumModel: PRO,
    fallback: true,
    timeoutMs: 10_000,
    maxRetries: 2,
    retryBaseMs: 20,
    models: [FLASH, PRO, "gemini-3.1-flash-lite-image"],
    priceOf,
    ...overrides,
  });

const batchOf = (overrides: Partial<GeminiProviderOptions> = {}): BatchDrawing => {
  const batch = gemini(overrides).batch;
  if (!batch) throw new Error("no batch mode");
  return batch;
};

const marked = (scenario: string) => (request: BatchImageRequest) => ({
  ...request,
  prompt: `${request.prompt} [gemini:${scenario}]`,
});

describeBatchDrawingContract("gemini (SDK over HTTP to the stand-in)", () => gemini(), {
  model: FLASH,
  turnaroundMs: TURNAROUND_MS,
  sizeOf: (aspectRatio, imageSize) => fakeGeminiImageSize(aspectRatio, imageSize),
  // Half the standard price when no batch price is given.
  batchPrice: (model, size) => Math.round((priceOf(model, size) / 2) * 1e6) / 1e6,
  refusedItem: marked("image-safety"),
  expiredJob: marked("batch-expire"),
  failedJob: marked("batch-fail"),
  cancelStops: true,
  findsByName: true,
  jobsSeen: (name) => fake.batches.filter((b) => b.displayName === name).length,
});

const request = (overrides: Partial<BatchImageRequest> = {}): BatchImageRequest => ({
  key: `gen_${randomUUID()}`,
  prompt: `a lighthouse at dusk ${randomUUID()}`,
  subject: "a lighthouse at dusk",
  label: { domain: "photography", subcategory: "landscape" },
  quality: "standard",
  aspectRatio: "1:1",
  ...overrides,
});

async function untilEnded(
  batch: BatchDrawing,
  job: BatchJobRef,
  requests: readonly BatchImageRequest[],
): Promise<BatchJobStatus> {
  const deadline = Date.now() + TURNAROUND_MS + 20_000;
  for (;;) {
    const status = await batch.check(job, requests);
    if (!["pending", "running"].includes(status.state)) return status;
    if (Date.now() > deadline) throw new Error(`${job.id} still ${status.state}`);
    await sleep(25);
  }
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const jobNamed = (name: string) => {
  const found = fake.batches.find((b) => b.displayName === name);
  if (!found) throw new Error(`the stand-in has no job ${name}`);
  return found;
};

/** Each result's image size, by key: what tells one request's answer from another's. */
async function sizesByKey(status: BatchJobStatus) {
  const sizes = new Map<string, { width?: number; height?: number }>();
  for (const result of status.results ?? []) {
    if (!result.ok) throw new Error(`${result.key} not drawn: ${result.message}`);
    const { width, height } = await sharp(result.image.bytes).metadata();
    sizes.set(result.key, { width, height });
  }
  return sizes;
}

const png = (color: string) =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: color } })
    .png()
    .toBuffer();

describe("Gemini batch mode: what goes to Google", () => {
  it("inlines requests under the limit, each with its key, under the job's name", async () => {
    const batch = batchOf();
    const requests = [request(), request({ aspectRatio: "16:9" })];
    const name = `nb-${randomUUID()}`;
    const job = await batch.submit(FLASH, requests, { name });
    expect(job).toMatchObject({ id: jobNamed(name).name, model: FLASH, name });
    expect(jobNamed(name)).toMatchObject({
      model: FLASH,
      input: "inline",
      inputFile: undefined,
      requestCount: 2,
      keys: requests.map((r) => r.key),
    });
  });

  it("sends each request exactly as generate sends it: brief, references in order, image config", async () => {
    const provider = gemini();
    const references = [
      { bytes: await png("#ff0000"), mimeType: "image/png" },
      {
        bytes: await sharp(await png("#00ff00"))
          .jpeg()
          .toBuffer(),
        mimeType: "image/jpeg",
      },
    ];
    const asked = request({ aspectRatio: "21:9", imageSize: "2K", references });
    await provider.generate(asked);
    const generated = fake.calls.filter((c) => c.prompt === asked.prompt);
    expect(generated).toHaveLength(1);

    const name = `nb-${randomUUID()}`;
    const job = await provider.batch?.submit(FLASH, [asked], { name });
    if (!job || !provider.batch) throw new Error("no batch mode");
    const status = await untilEnded(provider.batch, job, [asked]);
    expect(status.state).toBe("succeeded");
    const [item] = jobNamed(name).items;
    const same = (c: (typeof generated)[number] | undefined) => ({
      model: c?.model,
      prompt: c?.prompt,
      aspectRatio: c?.aspectRatio,
      imageSize: c?.imageSize,
      inlineImages: c?.inlineImages,
    });
    expect(same(item)).toEqual(same(generated[0]));
    expect(same(item)).toMatchObject({
      aspectRatio: "21:9",
      imageSize: "2K",
      inlineImages: ["image/png", "image/jpeg"],
    });
    const [result] = status.results ?? [];
    if (!result?.ok) throw new Error("not drawn");
    expect(result.image).toMatchObject({
      provider: "gemini",
      model: FLASH,
      costUsd: 0.0505,
      calls: 1,
      note: "Here is your image.",
      usage: { inputTokens: 120, outputTokens: 1290, totalTokens: 1410 },
    });
  });

  it("measures the create call as it goes on the wire: inline up to the limit, a file one byte past it", async () => {
    const batch = batchOf();
    const prompt = `a lighthouse at dusk ${randomUUID()}`;
    // Same sizes each time: keys and names of one length.
    const requests = () => [
      request({ prompt, key: `gen_${randomUUID()}` }),
      request({ prompt, key: `gen_${randomUUID()}` }),
    ];
    const name = () => `nb-${randomUUID()}`;
    const first = name();
    await batch.submit(FLASH, requests(), { name: first });
    const wireBytes = jobNamed(first).requestBytes;

    const atLimit = name();
    await batchOf({ batchInlineLimitBytes: wireBytes }).submit(FLASH, requests(), {
      name: atLimit,
    });
    expect(jobNamed(atLimit)).toMatchObject({ input: "inline", requestBytes: wireBytes });

    const overLimit = name();
    await batchOf({ batchInlineLimitBytes: wireBytes - 1 }).submit(FLASH, requests(), {
      name: overLimit,
    });
    expect(jobNamed(overLimit).input).toBe("file");
  });

  it("sends a job over Google's 20 MB inline limit as an uploaded JSONL file, and reads the answers from the file", async () => {
    const batch = batchOf();
    // 21 MB of references (base64 makes it 28 MB): four 8 MiB chunks of upload.
    const big = Array.from({ length: 3 }, () => ({
      bytes: randomBytes(7 * 1000 * 1000),
      mimeType: "image/jpeg",
    }));
    const requests = [request({ references: big }), request({ aspectRatio: "9:16" })];
    const name = `nb-${randomUUID()}`;
    const job = await batch.submit(FLASH, requests, { name });
    const sent = jobNamed(name);
    expect(sent).toMatchObject({
      input: "file",
      requestCount: 2,
      keys: requests.map((r) => r.key),
    });
    const uploaded = fake.files.find((f) => f.name === sent.inputFile);
    expect(uploaded).toMatchObject({ displayName: name, chunks: 4 });
    expect(uploaded?.sizeBytes).toBeGreaterThan(28_000_000);
    expect(sent.requestBytes).toBeLessThan(1_000);
    expect(sent.items).toEqual([]);

    const status = await untilEnded(batch, job, requests);
    expect(status.state).toBe("succeeded");
    expect(sent.outputFile).toMatch(/^files\//);
    expect(sent.items.map((i) => i.inlineImages)).toEqual([
      ["image/jpeg", "image/jpeg", "image/jpeg"],
      [],
    ]);
    const sizes = await sizesByKey(status);
    expect(sizes.get(requests[0]?.key ?? "")).toEqual(fakeGeminiImageSize("1:1", "1K"));
    expect(sizes.get(requests[1]?.key ?? "")).toEqual(fakeGeminiImageSize("9:16", "1K"));
  });
});

describe("Gemini batch mode: reading the answers", () => {
  const ratios = ["1:1", "16:9", "3:4", "21:9"] as const;
  for (const via of ["inline", "file"] as const) {
    const options = via === "file" ? { batchInlineLimitBytes: 1 } : {};

    it(`matches answers to requests by key, not by order (${via})`, async () => {
      const batch = batchOf(options);
      const requests = ratios.map((aspectRatio) => request({ aspectRatio }));
      const reversed = requests.map((r, i) => (i === 1 ? marked("batch-reversed")(r) : r));
      const name = `nb-${randomUUID()}`;
      const job = await batch.submit(FLASH, reversed, { name });
      expect(jobNamed(name).input).toBe(via);
      const status = await untilEnded(batch, job, reversed);
      const sizes = await sizesByKey(status);
      for (const r of reversed)
        expect(sizes.get(r.key), r.aspectRatio).toEqual(fakeGeminiImageSize(r.aspectRatio, "1K"));
    });

    it(`matches answers without keys by their order (${via})`, async () => {
      const batch = batchOf(options);
      const requests = ratios.map((aspectRatio, i) =>
        i === 2 ? marked("batch-no-keys")(request({ aspectRatio })) : request({ aspectRatio }),
      );
      const job = await batch.submit(FLASH, requests, { name: `nb-${randomUUID()}` });
      const status = await untilEnded(batch, job, requests);
      const sizes = await sizesByKey(status);
      for (const r of requests)
        expect(sizes.get(r.key), r.aspectRatio).toEqual(fakeGeminiImageSize(r.aspectRatio, "1K"));
    });

    it(`reads each answer as generate would: refusals, text, nothing drawn, item errors (${via})`, async () => {
      const batch = batchOf(options);
      const cases = {
        "prompt-blocked": { ok: false, code: "SAFETY_BLOCKED", retryable: false },
        "image-safety": { ok: false, code: "SAFETY_BLOCKED", retryable: false },
        "text-only": { ok: false, code: "PROVIDER_ERROR", retryable: false },
        "no-image": { ok: false, code: "PROVIDER_ERROR", retryable: true },
        "always-503": { ok: false, code: "PROVIDER_ERROR", retryable: true },
        "bad-request": { ok: false, code: "PROVIDER_ERROR", retryable: false },
        "image-first": { ok: true },
        "multi-candidate": { ok: true },
      } as const;
      const requests = Object.keys(cases).map((scenario) => marked(scenario)(request()));
      const job = await batch.submit(FLASH, requests, { name: `nb-${randomUUID()}` });
      const status = await untilEnded(batch, job, requests);
      expect(status.state).toBe("succeeded");
      expect(status.results?.map((r) => r.key)).toEqual(requests.map((r) => r.key));
      Object.values(cases).forEach((expected, index) => {
        expect(status.results?.[index], Object.keys(cases)[index]).toMatchObject(expected);
      });
    });
  }

  it("reports a request the job did not answer as retryable", async () => {
    const batch = batchOf();
    const requests = [request(), request()];
    const job = await batch.submit(FLASH, requests, { name: `nb-${randomUUID()}` });
    // A request of ours the job never had: no answer carries its key or its place.
    const extra = request();
    const status = await untilEnded(batch, job, [...requests, extra]);
    expect(status.results?.map((r) => r.ok)).toEqual([true, true, false]);
    expect(status.results?.[2]).toMatchObject({
      key: extra.key,
      code: "PROVIDER_ERROR",
      retryable: true,
    });
  });

  it("bills the batch price it is given, per size", async () => {
    const batch = batchOf({
      batchPriceOf: (model, size) => (model === FLASH && size === "2K" ? 0.05 : 1),
    });
    const requests = [request({ imageSize: "2K" })];
    const job = await batch.submit(FLASH, requests, { name: `nb-${randomUUID()}` });
    const status = await untilEnded(batch, job, requests);
    expect(status.results?.[0]).toMatchObject({ ok: true, image: { costUsd: 0.05 } });
  });
});

describe("Gemini batch mode: failures and their retryability", () => {
  it("fails a submit refused with 429 retryably (with its Retry-After), and the next one goes through", async () => {
    const batch = batchOf();
    const requests = [marked("batch-create-429-once")(request())];
    const name = `nb-${randomUUID()}`;
    const error = await failure(batch.submit(FLASH, requests, { name }));
    expect(error).toMatchObject({
      code: "PROVIDER_ERROR",
      retryable: true,
      details: { status: 429, retryAfterMs: 1000 },
    });
    expect(fake.batches.filter((b) => b.displayName === name)).toHaveLength(0);
    await batch.submit(FLASH, requests, { name });
    expect(fake.batches.filter((b) => b.displayName === name)).toHaveLength(1);
  });

  it("fails a check answered 503 retryably, and the next check goes on", async () => {
    const batch = batchOf();
    const requests = [marked("batch-get-503-once")(request())];
    const job = await batch.submit(FLASH, requests, { name: `nb-${randomUUID()}` });
    const error = await failure(batch.check(job, requests));
    expect(error).toMatchObject({ retryable: true, details: { status: 503 } });
    expect((await untilEnded(batch, job, requests)).state).toBe("succeeded");
  });

  it("fails retryably when Gemini cannot be reached, or does not answer in time", async () => {
    const job = { id: "batches/x", model: FLASH, name: "n", submittedAt: new Date().toISOString() };
    const unreachable = batchOf({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    expect(await failure(unreachable.submit(FLASH, [request()], { name: "n" }))).toMatchObject({
      code: "PROVIDER_ERROR",
      retryable: true,
    });
    expect(await failure(unreachable.check(job, [request()]))).toMatchObject({ retryable: true });

    // A server that takes the request and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const slow = batchOf({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 200 });
      const started = Date.now();
      expect(await failure(slow.submit(FLASH, [request()], { name: "n" }))).toMatchObject({
        retryable: true,
      });
      expect(await failure(slow.check(job, [request()]))).toMatchObject({ retryable: true });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("fails a 4xx for good: a retired model, a job Google does not have", async () => {
    const batch = batchOf();
    const retired = await failure(
      batch.submit("gemini-2.5-flash-image", [request()], { name: `nb-${randomUUID()}` }),
    );
    expect(retired).toMatchObject({
      code: "PROVIDER_ERROR",
      retryable: false,
      details: { status: 404 },
    });
    const unknown = { id: "batches/nope", model: FLASH, name: "n", submittedAt: "" };
    expect(await failure(batch.check(unknown, [request()]))).toMatchObject({
      retryable: false,
      details: { status: 404 },
    });
  });

  it("refuses a job id that is not Gemini's without asking, and keys that repeat", async () => {
    const batch = batchOf();
    const foreign = { id: "sketch-batches/1-ab", model: FLASH, name: "n", submittedAt: "" };
    expect(await failure(batch.check(foreign, [request()]))).toMatchObject({ retryable: false });
    const twice = request();
    expect(
      await failure(batch.submit(FLASH, [twice, twice], { name: `nb-${randomUUID()}` })),
    ).toMatchObject({ code: "INVALID_REQUEST" });
  });

  it("cancels quietly a job that has ended or that Google no longer has", async () => {
    const batch = batchOf();
    const requests = [request()];
    const job = await batch.submit(FLASH, requests, { name: `nb-${randomUUID()}` });
    await batch.cancel(job);
    await batch.cancel(job); // already cancelled
    await batch.cancel({ ...job, id: "batches/gone" });
    expect((await batch.check(job, requests)).state).toBe("cancelled");
  });

  it("finds a job several pages down the list", async () => {
    const batch = batchOf();
    const name = `nb-${randomUUID()}`;
    const job = await batch.submit(FLASH, [request()], { name });
    // Newer jobs push it down: the stand-in lists two a page, newest first.
    for (let i = 0; i < 5; i++)
      await batch.submit(FLASH, [request()], { name: `nb-${randomUUID()}` });
    expect(await batch.find(name, FLASH)).toMatchObject({ id: job.id, name, model: FLASH });
  });

  it("waits its turn on the model's rate limiter before submitting, and only then", async () => {
    const acquired: string[] = [];
    const batch = batchOf({
      rateLimiter: {
        acquire: async (model) => {
          acquired.push(model);
        },
      },
    });
    const requests = [request()];
    const job = await batch.submit(PRO, requests, { name: `nb-${randomUUID()}` });
    expect(acquired).toEqual([PRO]);
    await untilEnded(batch, job, requests);
    expect(acquired).toEqual([PRO]);
  });

  it("offers no batch mode on Vertex AI (a batch there reads and writes Cloud Storage)", () => {
    const provider = gemini({ vertex: { project: "p", location: "us-central1" } });
    expect(provider.batch).toBeUndefined();
  });
});
