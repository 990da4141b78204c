import {
  type Domain,
  type GenerationRecord,
  type GenerationStatus,
  idFloor,
} from "@nanobanana/domain";
import type { GenerationStore, Page } from "@nanobanana/store";

export interface HistoryQuery {
  limit: number;
  cursor?: string | undefined;
  status?: GenerationStatus | undefined;
  domain?: Domain | undefined;
  /** Created at or after this time. */
  from?: Date | undefined;
  /** Created before this time. */
  to?: Date | undefined;
}

/** How many records one filtered page reads at most before it answers with what it found. */
export const HISTORY_SCAN_LIMIT = 1000;

// The smallest id made at `ms` (ids are time, then randomness): a cursor "before this time".
const idAt = (ms: number) => idFloor("gen", ms).padEnd(30, "0");

/**
 * A user's history, newest first, filtered by status, domain and creation time. Ids sort by
 * creation time, so the time range is a range of ids; status and domain are read from the
 * records, at most HISTORY_SCAN_LIMIT of them a page: a page may then hold fewer than `limit`
 * (even none) with a `nextCursor` to read on from, so no request scans a whole history.
 */
export async function findHistory(
  store: Pick<GenerationStore, "listHistory">,
  userId: string,
  query: HistoryQuery,
): Promise<Page<GenerationRecord>> {
  const { limit, status, domain } = query;
  const toCursor = query.to ? idAt(query.to.getTime()) : undefined;
  // Both say "older than this id": the older one wins.
  let cursor = [query.cursor, toCursor].filter((c) => c !== undefined).sort()[0];
  const floor = query.from ? idAt(query.from.getTime()) : undefined;
  if (!status && !domain && !floor) {
    return store.listHistory(userId, { limit, ...(cursor ? { cursor } : {}) });
  }
  const wanted = (r: GenerationRecord) =>
    (!status || r.status === status) && (!domain || r.classification?.domain === domain);
  const items: GenerationRecord[] = [];
  let scanned = 0;
  for (;;) {
    const chunk = Math.min(100, Math.max(limit, 20));
    const page = await store.listHistory(userId, { limit: chunk, ...(cursor ? { cursor } : {}) });
    for (const record of page.items) {
      if (floor && record.id < floor) return { items, nextCursor: null };
      scanned += 1;
      if (wanted(record)) items.push(record);
      if (items.length === limit) {
        const more = page.nextCursor !== null || record !== page.items.at(-1);
        return { items, nextCursor: more ? record.id : null };
      }
    }
    if (!page.nextCursor) return { items, nextCursor: null };
    cursor = page.nextCursor;
    if (scanned >= HISTORY_SCAN_LIMIT) return { items, nextCursor: cursor };
  }
}
