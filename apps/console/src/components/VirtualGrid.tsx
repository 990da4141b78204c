import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useLayoutEffect, useRef, useState } from "react";

/**
 * A grid of tiles that keeps only the rows on screen (and a few around) in the DOM, scrolled by
 * the page itself. Columns follow the width (two on a phone); `onEndReached` asks for more when
 * the last rows come into view.
 */
export function VirtualGrid<T>({
  items,
  getKey,
  renderItem,
  label,
  minTileWidth = 180,
  captionHeight = 64,
  gap = 12,
  hasMore = false,
  onEndReached,
}: {
  items: readonly T[];
  getKey: (item: T, index: number) => string;
  renderItem: (item: T, index: number) => React.ReactNode;
  label: string;
  minTileWidth?: number;
  captionHeight?: number;
  gap?: number;
  hasMore?: boolean;
  onEndReached?: () => void;
}) {
  const ref = useRef<HTMLUListElement>(null);
  const [width, setWidth] = useState(0);
  const [scrollMargin, setScrollMargin] = useState(0);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      setWidth(el.clientWidth);
      const top = el.getBoundingClientRect().top + window.scrollY;
      setScrollMargin((old) => (Math.abs(old - top) > 1 ? top : old));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    observer.observe(document.body);
    return () => observer.disconnect();
  }, []);

  // Two columns on a phone rather than one wide tile.
  const tileMin = width > 0 && width < 560 ? Math.min(minTileWidth, 140) : minTileWidth;
  const columns = Math.max(1, Math.floor((width + gap) / (tileMin + gap)));
  const tileWidth = width > 0 ? (width - gap * (columns - 1)) / columns : minTileWidth;
  const rowHeight = Math.round(tileWidth + captionHeight + gap);
  const rows = Math.ceil(items.length / columns);

  const virtualizer = useWindowVirtualizer({
    count: rows,
    estimateSize: () => rowHeight,
    overscan: 3,
    scrollMargin,
  });
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-measure when the rows change height
  useEffect(() => {
    virtualizer.measure();
  }, [virtualizer, rowHeight]);

  const virtualRows = virtualizer.getVirtualItems();
  const lastRow = virtualRows.at(-1)?.index ?? -1;
  useEffect(() => {
    if (hasMore && onEndReached && (rows === 0 || lastRow >= rows - 3)) onEndReached();
  }, [hasMore, onEndReached, lastRow, rows]);

  return (
    <ul
      ref={ref}
      className="vgrid"
      aria-label={label}
      style={{ height: virtualizer.getTotalSize(), position: "relative" }}
    >
      {virtualRows.flatMap((row) => {
        const start = row.index * columns;
        return items.slice(start, start + columns).map((item, i) => (
          <li
            key={getKey(item, start + i)}
            aria-posinset={start + i + 1}
            aria-setsize={hasMore ? -1 : items.length}
            className="vgrid-cell"
            style={{
              position: "absolute",
              top: 0,
              left: 0,
              width: tileWidth,
              height: rowHeight - gap,
              transform: `translate(${i * (tileWidth + gap)}px, ${row.start - scrollMargin}px)`,
            }}
          >
            {renderItem(item, start + i)}
          </li>
        ));
      })}
    </ul>
  );
}
