import { newId } from "@nanobanana/domain";
import { describe, expect, it } from "vitest";
import type { EconomyStore, ProviderJobRecord } from "../store.ts";
import type { MakeStore } from "./fixtures.ts";

const jobFields = (name: string): Omit<ProviderJobRecord, "ids" | "window"> => ({
  name,
  model: "m1",
  imageSize: "1K",
  state: "submitting",
  ref: null,
  outcome: null,
  checks: 0,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});

/** EconomyStore's behaviour; `makeStore` gives a fresh, isolated store. */
export function describeEconomyStoreContract(name: string, makeStore: MakeStore<EconomyStore>) {
  describe(`EconomyStore contract: ${name}`, () => {
    it("gathers a window's generations once each, and hands them out oldest first, each once", async () => {
      const store = await makeStore();
      const window = `m1/1K-${newId("req").slice(-8)}`;
      const ids = [newId("gen"), newId("gen"), newId("gen")];
      expect(await store.joinEconomyWindow(window, ids[0] as string)).toBe(1);
      expect(await store.joinEconomyWindow(window, ids[1] as string)).toBe(2);
      // A retried join counts once.
      expect(await store.joinEconomyWindow(window, ids[1] as string)).toBe(2);
      expect(await store.joinEconomyWindow(window, ids[2] as string)).toBe(3);
      expect(await store.economyWindows()).toContain(window);

      const first = await store.takeEconomyWindow(window, 2, jobFields("eco_a"));
      expect(first).toMatchObject({ name: "eco_a", window, ids: ids.slice(0, 2) });
      expect(await store.getProviderJob("eco_a")).toEqual(first);
      expect(await store.economyWindows()).toContain(window);
      const second = await store.takeEconomyWindow(window, 2, jobFields("eco_b"));
      expect(second?.ids).toEqual(ids.slice(2));
      expect(await store.economyWindows()).not.toContain(window);
      expect(await store.takeEconomyWindow(window, 2, jobFields("eco_c"))).toBeNull();
      expect(await store.getProviderJob("eco_c")).toBeNull();
    });

    it("two takers at once never share a generation", async () => {
      const store = await makeStore();
      const suffix = newId("req").slice(-8);
      const window = `m1/2K-${suffix}`;
      const ids = Array.from({ length: 10 }, () => newId("gen"));
      for (const id of ids) await store.joinEconomyWindow(window, id);
      const taken = await Promise.all(
        [1, 2, 3].map((i) => store.takeEconomyWindow(window, 4, jobFields(`eco_p${i}_${suffix}`))),
      );
      const all = taken.flatMap((job) => job?.ids ?? []);
      expect([...all].sort()).toEqual([...ids].sort());
    });

    it("keeps a job's progress and lists it until it ended", async () => {
      const store = await makeStore();
      const name = `eco_${newId("req").slice(-12)}`;
      const window = `m2/1K-${name.slice(4)}`;
      await store.joinEconomyWindow(window, newId("gen"));
      await store.takeEconomyWindow(window, 10, jobFields(name));
      expect(await store.openProviderJobs(1000)).toContain(name);
      const ref = { id: "batches/1", name, model: "m2", submittedAt: new Date().toISOString() };
      await store.updateProviderJob(name, { state: "submitted", ref, checks: 2 });
      expect(await store.getProviderJob(name)).toMatchObject({
        state: "submitted",
        ref,
        checks: 2,
      });
      await store.updateProviderJob(name, { state: "ended", outcome: "succeeded" });
      expect(await store.getProviderJob(name)).toMatchObject({
        state: "ended",
        outcome: "succeeded",
      });
      expect(await store.openProviderJobs(1000)).not.toContain(name);
    });
  });
}
