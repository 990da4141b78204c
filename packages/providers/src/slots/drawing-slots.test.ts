import { describe, expect, it } from "vitest";
import type { ImageProvider, ImageRequest, ImageResult } from "../image-provider.ts";
import { withDrawingSlots } from "./drawing-slots.ts";

/** A provider whose drawings end when the test says so, one per prompt. */
function heldProvider() {
  const started: string[] = [];
  const finish = new Map<string, (outcome: "ok" | "fail") => void>();
  const provider: ImageProvider = {
    name: "held",
    models: ["held-1"],
    defaultModel: "held-1",
    generate(request) {
      started.push(request.prompt);
      return new Promise<ImageResult>((resolve, reject) =>
        finish.set(request.prompt, (outcome) =>
          outcome === "ok"
            ? resolve({ prompt: request.prompt } as unknown as ImageResult)
            : reject(new Error(`${request.prompt} failed`)),
        ),
      );
    },
    checkModels: async (models) => models.map((model) => ({ model, ok: true })),
  };
  return {
    provider,
    started,
    end: (prompt: string, outcome: "ok" | "fail" = "ok") => finish.get(prompt)?.(outcome),
  };
}

const request = (prompt: string) => ({ prompt }) as ImageRequest;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("withDrawingSlots", () => {
  it("draws at most `slots` at once and lets the others in, in arrival order, as slots free", async () => {
    const held = heldProvider();
    const limited = withDrawingSlots(held.provider, 2);
    const outcomes = Promise.allSettled(
      ["a", "b", "c", "d"].map((p) => limited.generate(request(p))),
    );
    await settle();
    expect(held.started).toEqual(["a", "b"]);
    held.end("b");
    await settle();
    expect(held.started).toEqual(["a", "b", "c"]);
    // A failed drawing frees its slot too.
    held.end("a", "fail");
    await settle();
    expect(held.started).toEqual(["a", "b", "c", "d"]);
    held.end("c");
    held.end("d");
    expect((await outcomes).map((o) => o.status)).toEqual([
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
  });

  it("lets a canceled job leave the line without taking a slot from those behind it", async () => {
    const held = heldProvider();
    const limited = withDrawingSlots(held.provider, 1);
    const first = limited.generate(request("first"));
    const controller = new AbortController();
    const canceled = limited.generate(request("canceled"), { signal: controller.signal });
    const last = limited.generate(request("last"));
    controller.abort(new Error("canceled by its user"));
    await expect(canceled).rejects.toThrow("canceled by its user");
    held.end("first");
    await settle();
    expect(held.started).toEqual(["first", "last"]);
    held.end("last");
    await Promise.all([first, last]);
    // Already aborted: refused before it waits at all.
    await expect(limited.generate(request("late"), { signal: controller.signal })).rejects.toThrow(
      "canceled by its user",
    );
    expect(held.started).toEqual(["first", "last"]);
  });

  it("passes the model check and batch mode through, and refuses fewer than one slot", async () => {
    const held = heldProvider();
    const limited = withDrawingSlots(held.provider, 3);
    expect(limited.name).toBe("held");
    expect(await limited.checkModels?.(["held-1"])).toEqual([{ model: "held-1", ok: true }]);
    expect(limited.batch).toBeUndefined();
    expect(() => withDrawingSlots(held.provider, 0)).toThrow(RangeError);
  });
});
