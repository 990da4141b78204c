import { type ModelOffer, whyOfferedModelCannotDraw } from "@nanobanana/config";
import type { AspectRatio, ImageSize, Label, Quality } from "@nanobanana/domain";

/** How a deployment picks models: its routing table, its default, what each model draws. */
export type ModelRouting = Pick<ModelOffer, "defaultModel" | "routes" | "models">;

export interface ModelChoice {
  model: string;
  /** "requested": named by the caller, so no fallback may replace it. */
  choice: "requested" | "routed";
  /** Said on the record: why this model draws. */
  reason: string;
}

export interface WhatIsDrawn {
  label: Label;
  quality: Quality;
  imageSize: ImageSize;
  aspectRatio: AspectRatio;
  references: number;
  /** The model the request named. */
  requestedModel: string | null;
  /** The model the user's preferences name. */
  preferredModel?: string | undefined;
}

const describeRoute = (route: ModelRouting["routes"][number]) =>
  Object.entries(route)
    .filter(([key]) => key !== "model")
    .map(([key, value]) => `${key} ${value}`)
    .join(", ");

/**
 * The model for one generation: the one the request names, else the user's preferred one,
 * else the first route that matches what is drawn and can draw it, else the default. A route
 * whose model cannot draw the size, ratio or references asked for is passed over, and the
 * reason says so.
 */
export function chooseModel(routing: ModelRouting, what: WhatIsDrawn): ModelChoice {
  if (what.requestedModel) {
    return { model: what.requestedModel, choice: "requested", reason: "named by the request" };
  }
  if (what.preferredModel) {
    return { model: what.preferredModel, choice: "routed", reason: "the user's preferences" };
  }
  const passedOver: string[] = [];
  for (const route of routing.routes) {
    const matches =
      (!route.domain || route.domain === what.label.domain) &&
      (!route.subcategory || route.subcategory === what.label.subcategory) &&
      (!route.quality || route.quality === what.quality);
    if (!matches) continue;
    const why = whyOfferedModelCannotDraw(routing.models, route.model, what);
    if (why) {
      passedOver.push(why);
      continue;
    }
    return { model: route.model, choice: "routed", reason: `route: ${describeRoute(route)}` };
  }
  const skipped = passedOver.length ? ` (passed over: ${passedOver.join("; ")})` : "";
  return { model: routing.defaultModel, choice: "routed", reason: `the default model${skipped}` };
}
