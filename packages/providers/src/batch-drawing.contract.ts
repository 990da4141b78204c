import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { AspectRatio, ImageSize } from "@nanobanana/domain";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type {
  BatchDrawing,
  BatchImageRequest,
  BatchItemResult,
  BatchJobRef,
  BatchJobStatus,
  ImageProvider,
} from "./image-provider.ts";

/**
 * What each adapter says about its batch mode. Every field is required: what an adapter
 * cannot do is said with null or false, and the suite states in a test of its own that it
 * asserts nothing more about it (no hidden skips).
 */
export interface BatchDrawingScenarios {
  /** The model jobs are submitted for. */
  model: string;
  /** How long a job runs, as the adapter under test is set up; the suite polls until it ends. */
  turnaroundMs: number;
  /** The pixel size drawn for an aspect ratio at a size. */
  sizeOf: (aspectRatio: AspectRatio, imageSize: ImageSize) => { width: number; height: number };
  /** USD for one image of the model at a size, at the batch price. */
  batchPrice: (model: string, imageSize: ImageSize) => number;
  /** The request made into one the maker refuses to draw (a marker in the prompt). */
  refusedItem: (request: BatchImageRequest) => BatchImageRequest;
  /** The request made into one whose whole job expires. */
  expiredJob: (request: BatchImageRequest) => BatchImageRequest;
  /** The request made into one whose whole job fails, or null: its jobs never fail. */
  failedJob: ((request: BatchImageRequest) => BatchImageRequest) | null;
  /** true: cancel stops a running job, which ends cancelled; false: cancel is a no-op. */
  cancelStops: boolean;
  /** true: find answers the job submitted under a name; false: there is never one to find. */
  findsByName: boolean;
  /** Jobs the maker received under a name, as the maker's side counted them; null: no maker. */
  jobsSeen: ((name: string) => number) | null;
}

const ENDED = new Set(["succeeded", "failed", "cancelled", "expired"]);
const IMAGE_SIZE: ImageSize = "512";
const RATIOS: AspectRatio[] = ["1:1", "16:9", "3:4"];

/** A request no other test has made, with its own key. */
function batchRequest(overrides: Partial<BatchImageRequest> = {}): BatchImageRequest {
  const subject = "a lighthouse on a cliff at dusk";
  return {
    key: `gen_${randomUUID()}`,
    prompt: `${subject}, golden hour, wide shot (${randomUUID()})`,
    subject,
    label: { domain: "photography", subcategory: "landscape" },
    quality: "standard",
    aspectRatio: "1:1",
    imageSize: IMAGE_SIZE,
    ...overrides,
  };
}

const jobName = () => `nb-test-${randomUUID()}`;

/**
 * One behaviour suite for every adapter's batch mode (the economy tier), as the poller that
 * uses it would notice it: submit, check until the job ends, read one answer per request.
 */
export function describeBatchDrawingContract(
  name: string,
  makeProvider: () => ImageProvider | Promise<ImageProvider>,
  scenarios: BatchDrawingScenarios,
) {
  const drawingOf = async (): Promise<{ provider: ImageProvider; batch: BatchDrawing }> => {
    const provider = await makeProvider();
    if (!provider.batch) throw new Error(`${provider.name} offers no batch mode`);
    return { provider, batch: provider.batch };
  };

  /** Checks until the job ends (no longer than its turnaround and some slack), noting each state. */
  async function untilEnded(
    batch: BatchDrawing,
    job: BatchJobRef,
    requests: readonly BatchImageRequest[],
  ): Promise<{ status: BatchJobStatus; states: string[] }> {
    const deadline = Date.now() + scenarios.turnaroundMs + 15_000;
    const states: string[] = [];
    for (;;) {
      const status = await batch.check(job, requests);
      states.push(status.state);
      if (ENDED.has(status.state)) return { status, states };
      expect(status.results, "results before the job ended").toBeUndefined();
      if (Date.now() > deadline) throw new Error(`${job.id} still ${status.state}`);
      await sleep(25);
    }
  }

  const byKey = (results: readonly BatchItemResult[] | undefined) =>
    new Map((results ?? []).map((r) => [r.key, r]));

  describe(`BatchDrawing contract: ${name}`, () => {
    it("offers batch mode", async () => {
      const provider = await makeProvider();
      expect(provider.batch).toBeDefined();
    });

    it("runs a job to the end and answers each request with its image, at the batch price", async () => {
      const { provider, batch } = await drawingOf();
      const requests = RATIOS.map((aspectRatio) => batchRequest({ aspectRatio }));
      const name = jobName();
      const job = await batch.submit(scenarios.model, requests, { name });
      expect(job).toMatchObject({ model: scenarios.model, name });
      expect(job.id).toMatch(/\S/);
      expect(Number.isNaN(Date.parse(job.submittedAt))).toBe(false);
      if (scenarios.jobsSeen) expect(scenarios.jobsSeen(name)).toBe(1);

      const { status, states } = await untilEnded(batch, job, requests);
      expect(["pending", "running"], "the first check, right after submitting").toContain(
        states[0],
      );
      expect(status.state).toBe("succeeded");
      expect(status.results).toHaveLength(requests.length);
      const results = byKey(status.results);
      expect([...results.keys()].sort()).toEqual(requests.map((r) => r.key).sort());
      for (const request of requests) {
        const result = results.get(request.key);
        if (!result?.ok) throw new Error(`${request.key} not drawn: ${JSON.stringify(result)}`);
        const { image } = result;
        expect(image).toMatchObject({
          provider: provider.name,
          costUsd: scenarios.batchPrice(scenarios.model, IMAGE_SIZE),
          calls: 1,
        });
        expect(provider.models).toContain(image.model);
        const meta = await sharp(image.bytes).metadata();
        expect(`image/${meta.format}`).toBe(image.mimeType);
        expect(
          { width: meta.width, height: meta.height },
          `${request.aspectRatio} at ${IMAGE_SIZE}`,
        ).toEqual(scenarios.sizeOf(request.aspectRatio, IMAGE_SIZE));
      }
    });

    it("is checked by any instance from the job's record alone (a worker restarted after a crash)", async () => {
      const { batch } = await drawingOf();
      const requests = [batchRequest()];
      const submitted = await batch.submit(scenarios.model, requests, { name: jobName() });
      // What the Store keeps, read back by a provider that never saw the submit.
      const remembered = JSON.parse(JSON.stringify(submitted)) as BatchJobRef;
      const { batch: another } = await drawingOf();
      const { status } = await untilEnded(another, remembered, requests);
      expect(status.state).toBe("succeeded");
      expect(status.results?.map((r) => [r.key, r.ok])).toEqual([[requests[0]?.key, true]]);
    });

    it("fails a refused request alone, as SAFETY_BLOCKED and not retryable", async () => {
      const { batch } = await drawingOf();
      const refused = scenarios.refusedItem(batchRequest());
      const requests = [batchRequest(), refused, batchRequest({ aspectRatio: "16:9" })];
      const job = await batch.submit(scenarios.model, requests, { name: jobName() });
      const { status } = await untilEnded(batch, job, requests);
      expect(status.state).toBe("succeeded");
      const results = byKey(status.results);
      expect(results.get(refused.key)).toMatchObject({
        ok: false,
        code: "SAFETY_BLOCKED",
        retryable: false,
      });
      expect(results.get(refused.key)).toHaveProperty("message", expect.stringMatching(/\S/));
      expect(results.get(requests[0]?.key ?? "")?.ok).toBe(true);
      expect(results.get(requests[2]?.key ?? "")?.ok).toBe(true);
    });

    it("ends an expired job expired, with no answers and the maker's word for it", async () => {
      const { batch } = await drawingOf();
      const requests = [batchRequest(), scenarios.expiredJob(batchRequest())];
      const job = await batch.submit(scenarios.model, requests, { name: jobName() });
      const { status } = await untilEnded(batch, job, requests);
      expect(status.state).toBe("expired");
      expect(status.results).toBeUndefined();
      expect(status.message).toMatch(/\S/);
    });

    const failedJob = scenarios.failedJob;
    if (failedJob) {
      it("ends a failed job failed, with no answers and the maker's word for it", async () => {
        const { batch } = await drawingOf();
        const requests = [failedJob(batchRequest()), batchRequest()];
        const job = await batch.submit(scenarios.model, requests, { name: jobName() });
        const { status } = await untilEnded(batch, job, requests);
        expect(status.state).toBe("failed");
        expect(status.results).toBeUndefined();
        expect(status.message).toMatch(/\S/);
      });
    } else {
      it("cannot fail a job (failedJob: null): the suite asserts nothing about failed jobs", () => {
        expect(scenarios.failedJob).toBeNull();
      });
    }

    if (scenarios.cancelStops) {
      it("cancels a running job: it ends cancelled, with no answers", async () => {
        const { batch } = await drawingOf();
        const requests = [batchRequest(), batchRequest()];
        const job = await batch.submit(scenarios.model, requests, { name: jobName() });
        await batch.cancel(job);
        const { status } = await untilEnded(batch, job, requests);
        expect(status.state).toBe("cancelled");
        expect(status.results).toBeUndefined();
      });
    } else {
      it("cancels nothing (cancelStops: false): a cancelled job runs on to its end", async () => {
        const { batch } = await drawingOf();
        const requests = [batchRequest()];
        const job = await batch.submit(scenarios.model, requests, { name: jobName() });
        await batch.cancel(job);
        const { status } = await untilEnded(batch, job, requests);
        expect(status.state).toBe("succeeded");
      });
    }

    it("does nothing, without failing, when asked to cancel a job that has ended", async () => {
      const { batch } = await drawingOf();
      const requests = [batchRequest()];
      const job = await batch.submit(scenarios.model, requests, { name: jobName() });
      await untilEnded(batch, job, requests);
      await batch.cancel(job);
      const again = await batch.check(job, requests);
      expect(again.state).toBe("succeeded");
      expect(again.results).toHaveLength(1);
    });

    if (scenarios.findsByName) {
      it("finds the job submitted under a name, for that model only", async () => {
        const { batch } = await drawingOf();
        const name = jobName();
        const job = await batch.submit(scenarios.model, [batchRequest()], { name });
        // Other jobs around it, so that the one found is found by its name.
        await batch.submit(scenarios.model, [batchRequest()], { name: jobName() });
        const found = await batch.find(name, scenarios.model);
        expect(found).toMatchObject({ id: job.id, model: scenarios.model, name });
        expect(Number.isNaN(Date.parse(found?.submittedAt ?? ""))).toBe(false);
        expect(await batch.find(name, `${scenarios.model}-other`)).toBeNull();
        expect(await batch.find(jobName(), scenarios.model)).toBeNull();
      });
    } else {
      it("finds nothing by name (findsByName: false): a lost submit is submitted again", async () => {
        const { batch } = await drawingOf();
        const name = jobName();
        await batch.submit(scenarios.model, [batchRequest()], { name });
        expect(await batch.find(name, scenarios.model)).toBeNull();
      });
    }

    it("submits nothing when the signal is already aborted", async () => {
      const { batch } = await drawingOf();
      const name = jobName();
      await expect(
        batch.submit(scenarios.model, [batchRequest()], { name, signal: AbortSignal.abort() }),
      ).rejects.toThrow();
      if (scenarios.jobsSeen) expect(scenarios.jobsSeen(name)).toBe(0);
    });
  });
}
