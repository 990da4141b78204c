import { describeBatchDrawingContract } from "../batch-drawing.contract.ts";
import { dimensionsFor } from "../image-provider.ts";
import { createSketchProvider, SKETCH_MODEL } from "./sketch-provider.ts";

// The sketch's batch mode draws in the process once the job's turnaround has passed, free. It
// has no maker to fail a whole job, to stop one, or to remember one by name.
const TURNAROUND_MS = 300;

describeBatchDrawingContract(
  "sketch",
  () => createSketchProvider({ batchDelayMs: TURNAROUND_MS }),
  {
    model: SKETCH_MODEL,
    turnaroundMs: TURNAROUND_MS,
    sizeOf: (aspectRatio, imageSize) => dimensionsFor(aspectRatio, imageSize),
    batchPrice: () => 0,
    refusedItem: (r) => ({ ...r, prompt: `${r.prompt} [sketch:item-refused]` }),
    expiredJob: (r) => ({ ...r, prompt: `${r.prompt} [sketch:batch-expire]` }),
    failedJob: null,
    cancelStops: false,
    findsByName: false,
    jobsSeen: null,
  },
);
