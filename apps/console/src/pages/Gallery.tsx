import {
  GENERATION_STATUSES,
  type GenerationRecord,
  type GenerationStatus,
  type HistoryOptions,
  type HistoryPage,
} from "@nanobanana/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { InputField, SelectField } from "../components/Fields.tsx";
import { Thumb } from "../components/Thumb.tsx";
import { VirtualGrid } from "../components/VirtualGrid.tsx";
import { isAbort } from "../errors.ts";
import { shortDateTime } from "../format.ts";
import { previousHash, type Route } from "../router.tsx";
import { useSession } from "../session.tsx";

const DOMAINS = ["photography", "diagrams", "art", "products"];
const PAGE_SIZE = 50;

interface Filters {
  domain: string;
  status: string;
  from: string;
  to: string;
}

/**
 * What the grid had when it was left, so coming back from a record opened from it is instant
 * and keeps the place; any other way in lists afresh (and shows what is new).
 */
interface Listing {
  key: string;
  items: GenerationRecord[];
  pages: AsyncIterator<HistoryPage>;
  done: boolean;
  scrollY: number;
}
let kept: Listing | null = null;
/** The filters the gallery was last shown with. */
let lastKey: string | null = null;

/** The gallery with the filters it was last shown with. */
export function galleryHref(): string {
  const query = new URLSearchParams();
  const filters = lastKey ? (JSON.parse(lastKey) as Record<string, string>) : {};
  for (const [k, v] of Object.entries(filters)) if (v) query.set(k, v);
  const q = query.toString();
  return `#/gallery${q ? `?${q}` : ""}`;
}

const isDay = (day: string) => /^\d{4}-\d{2}-\d{2}$/.test(day);

export function GalleryPage({ route }: { route: Route }) {
  const { nb } = useSession();
  const filters: Filters = {
    domain: route.query.get("domain") ?? "",
    status: route.query.get("status") ?? "",
    from: route.query.get("from") ?? "",
    to: route.query.get("to") ?? "",
  };
  const key = JSON.stringify(filters);
  // Back from a record shows the grid as it was; any other way in starts afresh.
  const restored = kept?.key === key && previousHash().startsWith("#/gallery/") ? kept : null;
  lastKey = key;
  const [items, setItems] = useState<GenerationRecord[]>(restored?.items ?? []);
  const [done, setDone] = useState(restored?.done ?? false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const pages = useRef<AsyncIterator<HistoryPage> | null>(restored?.pages ?? null);
  const busy = useRef(false);
  const listing = useRef<Listing | null>(restored);

  const setFilter = (name: keyof Filters, value: string) => {
    const query = new URLSearchParams();
    const next = { ...filters, [name]: value };
    for (const [k, v] of Object.entries(next)) if (v) query.set(k, v);
    const q = query.toString();
    window.location.hash = `#/gallery${q ? `?${q}` : ""}`;
  };

  const loadMore = useCallback(async () => {
    const iterator = pages.current;
    if (!iterator || busy.current) return;
    busy.current = true;
    setLoading(true);
    try {
      let next = await iterator.next();
      // A filtered page may be empty and still have more after it (the API reads a bounded
      // stretch of history a page): read on until something matches or the history ends.
      while (
        !next.done &&
        next.value.items.length === 0 &&
        next.value.nextCursor &&
        pages.current === iterator
      ) {
        next = await iterator.next();
      }
      if (pages.current !== iterator) return;
      if (next.done) {
        setDone(true);
      } else {
        const page = next.value;
        setItems((old) => [...old, ...page.items]);
        if (!page.nextCursor) setDone(true);
      }
    } catch (e) {
      if (pages.current === iterator && !isAbort(e)) {
        setError(e);
        setDone(true);
      }
    } finally {
      busy.current = false;
      setLoading(false);
    }
  }, []);

  // A new filter starts a new listing; the same one (Back from a record) goes on where it was.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the filters
  useEffect(() => {
    if (listing.current?.key === key) {
      const y = listing.current.scrollY;
      requestAnimationFrame(() => window.scrollTo(0, y));
      return;
    }
    // No abort on the way out: the listing is kept for Back, and a stale answer is ignored.
    const options: HistoryOptions = { limit: PAGE_SIZE };
    if (filters.status) options.status = filters.status as GenerationStatus;
    if (filters.domain) options.domain = filters.domain;
    // Days as the API takes them (YYYY-MM-DD, both ends included).
    if (isDay(filters.from)) options.from = filters.from;
    if (isDay(filters.to)) options.to = filters.to;
    const iterator = nb.history(options).pages()[Symbol.asyncIterator]();
    pages.current = iterator;
    busy.current = false;
    listing.current = { key, items: [], pages: iterator, done: false, scrollY: 0 };
    setItems([]);
    setDone(false);
    setError(null);
    void loadMore();
  }, [key, nb, loadMore]);

  // Keep the listing for when the page comes back.
  useEffect(() => {
    if (listing.current) kept = { ...listing.current, items, done };
  }, [items, done]);
  useEffect(
    () => () => {
      if (kept) kept.scrollY = window.scrollY;
    },
    [],
  );

  return (
    <section className="page page-gallery">
      <header className="page-header">
        <h1>Gallery</h1>
        <p className="muted">Everything you generated, newest first.</p>
      </header>
      <form className="filters panel" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Domain"
          value={filters.domain}
          onChange={(v) => setFilter("domain", v)}
          options={[
            { value: "", label: "All domains" },
            ...DOMAINS.map((d) => ({ value: d, label: d[0]?.toUpperCase() + d.slice(1) })),
          ]}
        />
        <SelectField
          label="Status"
          value={filters.status}
          onChange={(v) => setFilter("status", v)}
          options={[
            { value: "", label: "Any status" },
            ...GENERATION_STATUSES.map((s) => ({ value: s, label: s })),
          ]}
        />
        <InputField
          label="From"
          type="date"
          value={filters.from}
          max={filters.to || undefined}
          onChange={(v) => setFilter("from", v)}
        />
        <InputField
          label="To"
          type="date"
          value={filters.to}
          min={filters.from || undefined}
          onChange={(v) => setFilter("to", v)}
        />
      </form>
      <ErrorNote error={error} action="Could not load your history" />
      {items.length === 0 && done && !error ? (
        <p className="empty">
          Nothing here yet
          {key !== JSON.stringify({ domain: "", status: "", from: "", to: "" })
            ? " for these filters"
            : ""}
          . <a href="#/create">Create an image</a>.
        </p>
      ) : null}
      <VirtualGrid
        items={items}
        label="Your images"
        getKey={(r) => r.id}
        hasMore={!done && !error}
        onEndReached={() => void loadMore()}
        renderItem={(r) => (
          <a className={`tile tile-${r.status}`} href={`#/gallery/${encodeURIComponent(r.id)}`}>
            <Thumb nb={nb} id={r.id} status={r.status} alt={r.prompt} />
            <span className="tile-caption">
              <span className="tile-prompt">{r.prompt}</span>
              <span className="tile-meta muted">
                {r.status === "completed" ? (
                  <span>{r.classification?.domain ?? ""}</span>
                ) : (
                  <span className={`status status-${r.status}`}>{r.status}</span>
                )}
                <span>{shortDateTime(r.createdAt)}</span>
              </span>
            </span>
          </a>
        )}
      />
      <p className="list-foot muted" role="status">
        {loading
          ? "Loading…"
          : done
            ? items.length > 0
              ? `${items.length} ${items.length === 1 ? "image" : "images"}`
              : ""
            : ""}
      </p>
    </section>
  );
}
