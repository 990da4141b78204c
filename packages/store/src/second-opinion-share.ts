import type { ClassificationSummary } from "@nanobanana/domain";

/**
 * What of a completed generation's cost (µ$) went to its second opinion's text model, for that
 * model's own line in the cost totals (so each model's line holds what that model was paid);
 * none when no second opinion was asked or it cost nothing (a cached answer). Never more than
 * the generation's usd, so the image model's share is never negative.
 */
export function secondOpinionShare(
  classification: ClassificationSummary | null | undefined,
  finished: { model?: string | null | undefined; cost?: { usd: number } | undefined },
): { model: string; micros: number } | null {
  const opinion = classification?.secondOpinion;
  if (!opinion || opinion.model === finished.model) return null;
  const micros = Math.min(
    Math.round(opinion.costUsd * 1e6),
    Math.round((finished.cost?.usd ?? 0) * 1e6),
  );
  return micros > 0 ? { model: opinion.model, micros } : null;
}
