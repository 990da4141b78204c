import { ASPECT_RATIOS } from "@nanobanana/domain";
import { describeImageProviderContract } from "../image-provider.contract.ts";
import { createSketchProvider } from "./sketch-provider.ts";

// The sketch renderer draws in the process: it never refuses, has no service to go down or
// to rate-limit it, and no one but itself to count its calls. SKETCH_DELAY_MS makes it slow.
describeImageProviderContract("sketch", () => createSketchProvider(), {
  refusal: null,
  outage: null,
  rateLimit: null,
  slow: { provider: () => createSketchProvider({ delayMs: 5_000 }) },
  callsSeen: null,
  aspectRatios: ASPECT_RATIOS,
});
