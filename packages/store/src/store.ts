import type { GenerationRecord, GenerationStatus } from "@nanobanana/domain";

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export type GenerationPatch = Partial<Omit<GenerationRecord, "id" | "userId" | "createdAt">>;

export interface UpdateOptions {
  /** Apply only while the record's status is one of these (compare-and-set). */
  onlyIfStatusIn?: readonly GenerationStatus[];
}

/** The port for generation records: the source of truth for status (BullMQ state is transient). */
export interface Store {
  readonly name: string;
  createGeneration(record: GenerationRecord): Promise<void>;
  getGeneration(id: string): Promise<GenerationRecord | null>;
  /**
   * Merges the patch into the record and stamps updatedAt. Returns false when the record
   * is missing or the status precondition failed, so callers can tell "lost the race".
   */
  updateGeneration(id: string, patch: GenerationPatch, options?: UpdateOptions): Promise<boolean>;
  /** A user's generations, newest first. */
  listHistory(
    userId: string,
    options: { limit: number; cursor?: string },
  ): Promise<Page<GenerationRecord>>;
  ping(): Promise<void>;
}
