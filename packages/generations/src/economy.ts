import { type GenerationRecord, newId, TERMINAL_STATUSES } from "@nanobanana/domain";
import { AppError, toAppError } from "@nanobanana/errors";
import type { economyQueue, generationQueue, Producer } from "@nanobanana/queue";
import type {
  EconomyStore,
  GenerationPatch,
  GenerationStore,
  ProviderJobRecord,
  TemplateStore,
} from "@nanobanana/store";
import { announceChanges, type NotifyDeps, notifyFinished } from "./notify.ts";
import type { EconomyDrawer, EconomyItemResult } from "./ports.ts";

export interface EconomySettings {
  /** How long a window gathers before it is submitted (ECONOMY_WINDOW_MS). */
  windowMs: number;
  /** At most this many images a batch job; a full window is submitted at once. */
  maxItems: number;
  /** The first wait before asking a job's state; later waits double, up to 5 minutes. */
  pollMs: number;
}

export interface EconomyDeps extends EconomySettings {
  store: GenerationStore & EconomyStore & Pick<TemplateStore, "recordTemplateUse">;
  drawer: EconomyDrawer;
  notify: NotifyDeps;
  economy: Producer<typeof economyQueue>;
  generation: Pick<Producer<typeof generationQueue>, "enqueue">;
}

const MAX_POLL_MS = 5 * 60_000;

/**
 * One record per picture: records with the same cache key (identical requests) are drawn
 * once, by the first of them; the others are its followers.
 */
function leadersOf(records: readonly GenerationRecord[]): GenerationRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    if (!r.useCache || !r.cacheKey) return true;
    if (seen.has(r.cacheKey)) return false;
    seen.add(r.cacheKey);
    return true;
  });
}
/** BullMQ job ids may not hold ":"; windows hold "/" and ".". */
const jobIdOf = (...parts: Array<string | number>) =>
  parts.map((p) => String(p).replace(/[^a-zA-Z0-9_-]/g, "_")).join("-");
const newJobName = () => `eco_${newId("gen").slice(4)}`;

/**
 * The economy tier's lifecycle, every status change of it made here: an image waits in its
 * window (queued), is submitted with the others as one batch job at the maker (submitted),
 * and when the job has ended is stored (processing) and completed like any other; or re-run
 * at standard price (a failed or expired job, an image the maker could not draw, a deadline
 * passed), or failed. Each step is a job on the economy queue, safe to run again.
 */
export function economyLifecycle(deps: EconomyDeps) {
  const { store } = deps;
  const log = deps.notify.logger;

  /** Re-runs an economy image at the standard tier: drawn now, at the standard price. */
  async function rerunAtStandard(
    record: GenerationRecord,
    reason: string,
    from: GenerationRecord["status"][] = ["queued", "submitted", "processing"],
  ): Promise<void> {
    const moved = await store.updateGeneration(
      record.id,
      {
        tier: "standard",
        status: "queued",
        stage: "queued",
        providerJob: null,
        tierReason: reason,
        error: null,
      },
      { onlyIfStatusIn: from },
    );
    if (!moved) return;
    await deps.generation.enqueue(
      "generate",
      { generationId: record.id, userId: record.userId },
      { jobId: `${record.id}-standard` },
    );
    announceChanges(deps.notify, [record]);
    log.info({ generationId: record.id, reason }, "economy image re-run at standard price");
  }

  async function fail(
    record: GenerationRecord,
    error: AppError,
    from: GenerationRecord["status"][] = ["queued", "submitted", "processing"],
  ): Promise<void> {
    const [failed] = await store.finishGenerations(
      [
        {
          id: record.id,
          patch: {
            status: "failed",
            error: { ...error.toJSON(), retryable: false },
            completedAt: new Date().toISOString(),
          },
        },
      ],
      { onlyIfStatusIn: from },
    );
    if (!failed) return;
    announceChanges(deps.notify, [failed]);
    await notifyFinished(deps.notify, failed);
  }

  /** Stores one drawn image and completes its record; an error re-runs it at standard. */
  async function finishItem(record: GenerationRecord, result: EconomyItemResult): Promise<void> {
    if (!result.ok) {
      if (result.error.retryable) {
        await rerunAtStandard(record, `the batch job could not draw it (${result.error.message})`);
      } else {
        await fail(record, result.error);
      }
      return;
    }
    const claimed = await store.updateGeneration(
      record.id,
      { status: "processing", stage: "post_process" },
      { onlyIfStatusIn: ["submitted", "processing"] },
    );
    if (!claimed) return;
    announceChanges(deps.notify, [record]);
    const drawing = await result.store(record, {
      attempt: record.attempts,
      async progress(stage, patch) {
        const applied = await store.updateGeneration(
          record.id,
          { ...patch, stage },
          { onlyIfStatusIn: ["processing"] },
        );
        if (!applied) throw new AppError("CONFLICT", `generation ${record.id} left processing`);
      },
    });
    const [finished] = await store.finishGenerations([{ id: record.id, patch: drawing.patch }], {
      onlyIfStatusIn: ["processing"],
    });
    if (!finished) return;
    announceChanges(deps.notify, [finished]);
    await store.recordTemplateUse(drawing.template);
    await notifyFinished(deps.notify, finished);
  }

  /** The job's images that still wait for it: submitted, and submitted to this job. */
  /** The job's images as submitted to it (ended ones too), in its order. */
  async function submittedTo(job: ProviderJobRecord): Promise<GenerationRecord[]> {
    return (await store.getGenerations(job.ids)).filter(
      (r): r is GenerationRecord => r?.providerJob?.name === job.name,
    );
  }

  /** Of those, the ones that still wait for it. */
  const stillWaiting = (records: readonly GenerationRecord[]) =>
    records.filter((r) => r.status === "submitted" || r.status === "processing");

  const nextCheck = (job: ProviderJobRecord) =>
    deps.economy.enqueue(
      "check",
      { name: job.name },
      {
        jobId: jobIdOf(job.name, "check", job.checks),
        delayMs: Math.min(MAX_POLL_MS, deps.pollMs * 2 ** Math.min(job.checks, 12)),
      },
    );

  return {
    /**
     * After the pipeline put a drawing off: the record goes back to queued (its brief kept)
     * and waits in its window; the window's submit is scheduled (now, when it is full), and
     * so is the deadline.
     */
    async join(record: GenerationRecord, window: string): Promise<void> {
      const size = await store.joinEconomyWindow(window, record.id);
      if (size === 1 || size >= deps.maxItems) {
        const name = newJobName();
        await deps.economy.enqueue(
          "submit",
          { window, name },
          { jobId: name, ...(size >= deps.maxItems ? {} : { delayMs: deps.windowMs }) },
        );
      }
      if (record.deadline) {
        await deps.economy.enqueue(
          "deadline",
          { generationId: record.id },
          {
            jobId: jobIdOf(record.id, "deadline"),
            delayMs: Math.max(0, Date.parse(record.deadline) - Date.now()),
          },
        );
      }
    },

    /** Gathers the window into one job and submits it (or finds the one a crash left). */
    async submit({ window, name }: { window: string; name: string }): Promise<string> {
      let job = await store.getProviderJob(name);
      // A job taken from its window just now cannot be at the maker yet: asking is for retries.
      const fresh = !job;
      if (!job) {
        const [model = "", imageSize = "1K"] = window.split("/");
        const now = new Date().toISOString();
        job = await store.takeEconomyWindow(window, deps.maxItems, {
          name,
          model,
          imageSize: imageSize as ProviderJobRecord["imageSize"],
          state: "submitting",
          ref: null,
          outcome: null,
          checks: 0,
          createdAt: now,
          updatedAt: now,
        });
        if (!job) return "nothing waiting";
        // More than one job's worth waited: the rest goes next, without waiting a window.
        if ((await store.economyWindows()).includes(window)) {
          const next = newJobName();
          await deps.economy.enqueue("submit", { window, name: next }, { jobId: next });
        }
      }
      if (job.state === "ended") return "ended";
      const records = (await store.getGenerations(job.ids)).filter(
        (r): r is GenerationRecord => r !== null && r.status === "queued" && r.tier === "economy",
      );
      let ref = job.ref;
      if (job.state === "submitting" || !ref) {
        if (records.length === 0) {
          await store.updateProviderJob(name, { state: "ended", outcome: "empty" });
          return "every image had gone";
        }
        // Identical requests in one job are drawn once: the rest complete from its cache entry.
        ref =
          (fresh ? null : await deps.drawer.find(job)) ??
          (await deps.drawer.submit(job, leadersOf(records)));
        await store.updateProviderJob(name, { state: "submitted", ref });
      }
      // Safe to repeat (a crash after the job was remembered): mark the images, schedule a check.
      const submitted: GenerationPatch = {
        status: "submitted",
        stage: "generate",
        providerJob: { ...ref, name },
      };
      for (const record of records) {
        await store.updateGeneration(record.id, submitted, { onlyIfStatusIn: ["queued"] });
      }
      announceChanges(deps.notify, records);
      await nextCheck({ ...job, ref, state: "submitted" });
      log.info({ job: name, ref: ref.id, images: records.length, window }, "economy job submitted");
      return "submitted";
    },

    /** Asks the maker how the job is; once it ended, finishes each image it drew. */
    async check({ name }: { name: string }): Promise<string> {
      const job = await store.getProviderJob(name);
      if (job?.state !== "submitted") return job ? job.state : "no such job";
      // The job's requests as submitted (its images, in order, one per picture), so answers
      // that come without their key still line up, whatever has been canceled since.
      const submitted = await submittedTo(job);
      const sent = leadersOf(submitted);
      const waiting = stillWaiting(submitted);
      if (waiting.length === 0) {
        // None of its images waits for it (all canceled): stop the maker's work too.
        await deps.drawer.cancel(job).catch(() => undefined);
        await store.updateProviderJob(name, { state: "ended", outcome: "cancelled" });
        return "cancelled";
      }
      const status = await deps.drawer.check(job, sent);
      if (status.state === "pending" || status.state === "running") {
        const checks = job.checks + 1;
        await store.updateProviderJob(name, { checks });
        await nextCheck({ ...job, checks });
        return status.state;
      }
      if (status.state === "succeeded") {
        const results = new Map((status.results ?? []).map((r) => [r.id, r]));
        // An identical request's answer serves a record whose own request was not sent (its
        // twin was sent, then canceled): by cache key.
        const sentFor = new Map(
          sent.flatMap((r) => (r.useCache && r.cacheKey ? [[r.cacheKey, r.id]] : [])),
        );
        const stored = new Set<string>();
        const followers: GenerationRecord[] = [];
        for (const record of waiting) {
          const key = record.useCache && record.cacheKey ? record.cacheKey : null;
          if (key && stored.has(key)) {
            followers.push(record);
            continue;
          }
          if (key) stored.add(key);
          const result: EconomyItemResult = results.get(record.id) ??
            results.get((key && sentFor.get(key)) || "") ?? {
              id: record.id,
              ok: false,
              error: new AppError("PROVIDER_ERROR", "the batch job gave no answer for it", {
                retryable: true,
              }),
            };
          try {
            await finishItem(record, result);
          } catch (error) {
            // One image's trouble (a failed upload) must not hold up the others: re-run it.
            await rerunAtStandard(record, `storing it failed (${toAppError(error).message})`);
          }
        }
        // Each follower goes back to the queue: its leader's image, in the cache now, completes
        // it as a cache hit (cost 0); had the leader failed, it is drawn as the leader was.
        for (const record of followers) {
          const moved = await store.updateGeneration(
            record.id,
            { status: "queued", stage: "queued", providerJob: null },
            { onlyIfStatusIn: ["submitted"] },
          );
          if (!moved) continue;
          await deps.generation.enqueue(
            "generate",
            { generationId: record.id, userId: record.userId },
            { jobId: `${record.id}-from-cache-${name}` },
          );
          announceChanges(deps.notify, [record]);
        }
      } else {
        const why = `the batch job ${status.state}${status.message ? `: ${status.message}` : ""}`;
        for (const record of waiting) {
          if (status.state === "expired" && record.onDeadline === "fail") {
            await fail(record, new AppError("DEADLINE_EXCEEDED", why));
          } else {
            await rerunAtStandard(record, `${why}; drawn at standard price`);
          }
        }
      }
      await store.updateProviderJob(name, { state: "ended", outcome: status.state });
      log.info({ job: name, outcome: status.state, images: waiting.length }, "economy job ended");
      return status.state;
    },

    /** An image its job did not finish in time: re-run at standard price, or failed. */
    async deadline({ generationId }: { generationId: string }): Promise<string> {
      const record = await store.getGeneration(generationId);
      if (!record || TERMINAL_STATUSES.includes(record.status)) return "ended";
      if (record.tier !== "economy") return "in hand";
      if (record.status === "processing") {
        // Being stored, or being looked up again: ask again shortly rather than lose the deadline.
        throw new AppError("CONFLICT", `generation ${generationId} is being worked on; retry`, {
          retryable: true,
        });
      }
      // Only while it waits: an image being stored is left to finish.
      const waitingOnly: GenerationRecord["status"][] = ["queued", "submitted"];
      if (record.onDeadline === "fail") {
        await fail(
          record,
          new AppError("DEADLINE_EXCEEDED", `not drawn by its deadline (${record.deadline})`),
          waitingOnly,
        );
      } else {
        await rerunAtStandard(
          record,
          `not drawn by its deadline (${record.deadline}); drawn at standard price`,
          waitingOnly,
        );
      }
      if (record.providerJob) {
        await deps.economy.enqueue("release", { name: record.providerJob.name });
      }
      return record.onDeadline === "fail" ? "failed" : "re-run";
    },

    /** Cancels the maker's job once none of its images waits for it (after cancels). */
    async release({ name }: { name: string }): Promise<string> {
      const job = await store.getProviderJob(name);
      if (job?.state !== "submitted") return "not running";
      if (stillWaiting(await submittedTo(job)).length > 0) return "still needed";
      await deps.drawer.cancel(job);
      await store.updateProviderJob(name, { state: "ended", outcome: "cancelled" });
      log.info({ job: name }, "economy job cancelled: none of its images waits for it");
      return "cancelled";
    },

    /**
     * For the sweep: windows whose submit a crash lost, jobs stuck submitting, and jobs no
     * check is scheduled for (a lost one) get their job again; duplicates do nothing.
     */
    async repair(now = Date.now()): Promise<number> {
      let repaired = 0;
      const bucket = Math.floor(now / (2 * deps.windowMs));
      for (const window of await store.economyWindows()) {
        await deps.economy.enqueue(
          "submit",
          { window, name: newJobName() },
          { jobId: jobIdOf("sweep", window, bucket), delayMs: deps.windowMs },
        );
        repaired++;
      }
      for (const name of await store.openProviderJobs(100)) {
        const job = await store.getProviderJob(name);
        if (!job || now - Date.parse(job.updatedAt) < MAX_POLL_MS * 2) continue;
        if (job.state === "submitting") {
          // Keyed by the job's name: never a second submit beside one still running.
          await deps.economy.enqueue("submit", { window: job.window, name }, { jobId: name });
        } else {
          await deps.economy.enqueue(
            "check",
            { name },
            { jobId: jobIdOf(name, "check", job.checks, "sweep", bucket) },
          );
        }
        repaired++;
      }
      return repaired;
    },

    rerunAtStandard,
  };
}
