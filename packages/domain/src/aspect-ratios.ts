import type { AspectRatio } from "./taxonomy.ts";

export type Orientation = "square" | "landscape" | "portrait";

/** Width over height: "16:9" is 1.78. */
export function ratioOf(aspectRatio: string): number {
  const [w = 1, h = 1] = aspectRatio.split(":").map(Number);
  return w / h;
}

export function orientationOf(aspectRatio: string): Orientation {
  const ratio = ratioOf(aspectRatio);
  return ratio === 1 ? "square" : ratio > 1 ? "landscape" : "portrait";
}

/**
 * What a model that does not draw `aspectRatio` draws in its place: the nearest of the ratios
 * it does draw (nearest as a factor, so 4:3 → 5:4 rather than 3:2), in the same orientation, so
 * a landscape request never comes back square or portrait. Undefined when it draws nothing in
 * that orientation.
 */
export function nearestAspectRatio(
  aspectRatio: AspectRatio,
  drawn: readonly AspectRatio[],
): AspectRatio | undefined {
  if (drawn.includes(aspectRatio)) return aspectRatio;
  const orientation = orientationOf(aspectRatio);
  const distance = (other: AspectRatio) =>
    Math.abs(Math.log(ratioOf(other) / ratioOf(aspectRatio)));
  return drawn
    .filter((other) => orientationOf(other) === orientation)
    .reduce<AspectRatio | undefined>(
      (best, other) => (best === undefined || distance(other) < distance(best) ? other : best),
      undefined,
    );
}

/**
 * Of our ratios, those Stability AI's Stable Image endpoints draw (their 9:21 is not among
 * ours): the model catalog lists them, and the adapter picks the nearest of them.
 */
export const STABILITY_ASPECT_RATIOS: readonly AspectRatio[] = [
  "1:1",
  "2:3",
  "3:2",
  "4:5",
  "5:4",
  "9:16",
  "16:9",
  "21:9",
];
