/** Plain formatting for the pages: money, counts, times. */
export function usd(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  if (n === 0) return "$0.00";
  // Whole cents as cents; image prices ($0.134, $0.0335) to the tenth of a cent they have.
  const wholeCents = Math.abs(Math.round(n * 1e4) % 100) === 0;
  return `$${n.toFixed(wholeCents ? 2 : 4)}`;
}

export function percent(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  const smallest = 10 ** -digits / 100;
  if (n > 0 && n < smallest / 2) return `<${smallest * 100}%`;
  return `${(n * 100).toFixed(digits)}%`;
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  if (n < 1000) return `${Math.round(n)} ms`;
  return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "Nov 26, 02:23": a short date and time for tiles. */
export function shortDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** "classify" → "Classify", "post_process" and "postProcess" → "Post-process". */
export const stageLabel = (stage: string): string => {
  const words = stage
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/_/g, "-");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** A file name from a prompt: "0007-red-sneaker-on-white.png". */
export function fileName(index: number, prompt: string, mimeType: string): string {
  const ext = mimeType.split("/")[1]?.replace("jpeg", "jpg") ?? "bin";
  const slug =
    prompt
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40)
      .replace(/-+$/, "") || "image";
  return `${String(index + 1).padStart(4, "0")}-${slug}.${ext}`;
}
