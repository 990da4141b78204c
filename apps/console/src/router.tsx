import { useEffect, useState } from "react";

/**
 * Hash routes (`#/create`, `#/gallery/gen_…`): the API owns the real paths (`/models`, …), so
 * the console lives in the fragment.
 */
export interface Route {
  /** ["gallery", "gen_…"] for `#/gallery/gen_…`; [] for no fragment. */
  parts: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, "");
  const at = raw.indexOf("?");
  const path = at < 0 ? raw : raw.slice(0, at);
  const query = new URLSearchParams(at < 0 ? "" : raw.slice(at + 1));
  const parts = path
    .split("/")
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { parts, query };
}

/** The fragment shown before the current one ("" at load). */
let previous = "";
window.addEventListener("hashchange", (event) => {
  previous = new URL(event.oldURL).hash;
});
export const previousHash = (): string => previous;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function navigate(to: string): void {
  const hash = to.startsWith("#") ? to : `#${to}`;
  if (window.location.hash !== hash) window.location.hash = hash;
}

/** Replaces the address without a new history entry (and without a hashchange event). */
export function replaceHash(to: string): void {
  const { pathname, search } = window.location;
  window.history.replaceState(window.history.state, "", `${pathname}${search}${to}`);
}
