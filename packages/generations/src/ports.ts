import type { GenerationRecord, Stage, TemplateUse } from "@nanobanana/domain";
import type { AppError } from "@nanobanana/errors";
import type { GenerationPatch, ProviderJobRecord } from "@nanobanana/store";

/**
 * The ports this package's lifecycle works through, which the pipeline fills: drawing one
 * generation now (`DrawGeneration`), and the economy tier's batch jobs (`EconomyDrawer`).
 */

/** What drawing needs from the lifecycle while it works on one attempt. */
export interface DrawAttempt {
  /** 1-based attempt number (BullMQ attemptsMade + 1). */
  attempt: number;
  signal?: AbortSignal;
  /**
   * Records the stage reached and what the last one learned, so a poller sees where the work
   * is. Throws once the record has left "processing" (a cancel): no more work is spent on it.
   */
  progress(stage: Stage, patch: GenerationPatch): Promise<void>;
}

export type CompletedPatch = GenerationPatch & {
  status: "completed";
  stage: "done";
  completedAt: string;
};

/** A finished drawing: what the record becomes, and the template variant that wrote it. */
export interface Drawing {
  patch: CompletedPatch;
  template: TemplateUse;
  /** What the log line of its completion tells (model, cost, calls, cached). */
  summary: Record<string, unknown>;
}

/**
 * The port the pipeline fills: classify → enhance → cache → generate → post-process →
 * upload, for a record this lifecycle has claimed. It never writes a status: it reports
 * progress, and returns (or throws) for the lifecycle to finish the record.
 */
export type DrawGeneration = (
  record: GenerationRecord,
  attempt: DrawAttempt,
) => Promise<Drawing | EconomyDeferral>;

/** Where the maker's batch job stands, in our words. */
export type EconomyJobState =
  | "pending"
  | "running"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "expired";

/** One image's answer from a succeeded job: store it (post-process, upload), or its error. */
export type EconomyItemResult =
  /** `store` stores the image for a record: the one that asked, or an identical one. */
  | {
      id: string;
      ok: true;
      store(record: GenerationRecord, attempt: DrawAttempt): Promise<Drawing>;
    }
  | { id: string; ok: false; error: AppError };

/**
 * The port the pipeline fills: the maker's batch mode for records already classified and
 * enhanced (their brief is on the record), and storing what it drew.
 */
export interface EconomyDrawer {
  submit(
    job: ProviderJobRecord,
    records: readonly GenerationRecord[],
  ): Promise<NonNullable<ProviderJobRecord["ref"]>>;
  /** The maker's job of this name, when a crash came between submitting and remembering. */
  find(job: ProviderJobRecord): Promise<ProviderJobRecord["ref"]>;
  check(
    job: ProviderJobRecord,
    records: readonly GenerationRecord[],
  ): Promise<{ state: EconomyJobState; message?: string; results?: EconomyItemResult[] }>;
  cancel(job: ProviderJobRecord): Promise<void>;
}

/** A drawing put off to the economy tier: the record waits in its model and size's window. */
export interface EconomyDeferral {
  kind: "economy";
  /** "{model}/{imageSize}". */
  window: string;
}

/** The scheduling half that a drawing attempt uses: join a window, set the deadline. */
export interface EconomyScheduler {
  join(record: GenerationRecord, window: string): Promise<void>;
}
