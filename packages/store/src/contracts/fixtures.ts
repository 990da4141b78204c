import {
  type BatchRecord,
  type GenerationRecord,
  newGenerationRecord,
  newId,
} from "@nanobanana/domain";

/** How a suite gets a fresh, isolated store (or the part of one it tests). */
export type MakeStore<T> = () => T | Promise<T>;

const request = {
  prompt: "a red bicycle",
  quality: "standard",
  aspectRatio: "1:1",
  format: "png",
} as const;

export function makeRecord(
  userId: string,
  at = Date.now(),
  overrides: Partial<GenerationRecord> = {},
): GenerationRecord {
  return {
    ...newGenerationRecord({ id: newId("gen", at), userId, request, now: new Date(at) }),
    ...overrides,
  };
}

export function makeBatch(
  userId: string,
  size: number,
): { batch: BatchRecord; items: GenerationRecord[] } {
  const batchId = newId("bat");
  const webhook = { url: "https://example.com/hook", events: ["batch.completed"] };
  const items = Array.from({ length: size }, () =>
    makeRecord(userId, Date.now(), { batchId, webhook }),
  );
  const batch: BatchRecord = {
    id: batchId,
    userId,
    total: size,
    ids: items.map((r) => r.id),
    webhook,
    createdAt: new Date().toISOString(),
    completedAt: null,
  };
  return { batch, items };
}
