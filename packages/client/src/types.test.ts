import type { classifyPrompt } from "@nanobanana/classifier";
import * as domain from "@nanobanana/domain";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import * as client from "./types.ts";

/**
 * The client writes its types out by hand (it may not depend on the service at run time);
 * these checks hold them to the service's own schemas. The type assertions are checked by
 * `npm run typecheck` (tsc covers test files), the lists at run time.
 */
type Body = z.input<typeof domain.generateBodySchema>;
type Parsed = z.output<typeof domain.generateBodySchema>;

describe("GenerateInput", () => {
  it("has exactly the fields generateBodySchema has", () => {
    expectTypeOf<keyof client.GenerateInput>().toEqualTypeOf<keyof Body>();
  });

  it("accepts everything the schema accepts, and the schema accepts everything it allows", () => {
    // `webhook` is preprocessed (a string becomes {url}), so its input type is `unknown`;
    // its parsed form is checked below and its accepted spellings at run time.
    expectTypeOf<Omit<Body, "webhook">>().toExtend<Omit<client.GenerateInput, "webhook">>();
    expectTypeOf<Omit<client.GenerateInput, "webhook">>().toExtend<Omit<Body, "webhook">>();
    expectTypeOf<NonNullable<Parsed["webhook"]>>().toExtend<client.WebhookTarget>();
    expectTypeOf<domain.GenerateBody>().toExtend<client.GenerateInput>();
  });

  it("every webhook spelling the client allows is one the schema takes", () => {
    const spellings: client.WebhookTarget[] = [
      "https://example.com/hook",
      { url: "https://example.com/hook" },
      { url: "https://example.com/hook", events: ["generation.completed", "batch.completed"] },
    ];
    for (const webhook of spellings) {
      expect(domain.generateBodySchema.safeParse({ prompt: "x", webhook }).success).toBe(true);
    }
  });

  it("a full input the client types is a body the service accepts", () => {
    const input: client.GenerateInput = {
      prompt: "a red sneaker",
      quality: "premium",
      model: "sketch-v1",
      aspectRatio: "16:9",
      imageSize: "2K",
      images: ["https://example.com/a.png"],
      format: "webp",
      metadata: { sku: "A-1", n: 3, hero: true },
      webhook: "https://example.com/hook",
      cache: false,
    };
    expect(domain.generateBodySchema.parse(input)).toMatchObject({ prompt: "a red sneaker" });
  });
});

describe("the value lists", () => {
  it("match the service's", () => {
    expect(client.QUALITIES).toEqual(domain.QUALITIES);
    expect(client.ASPECT_RATIOS).toEqual(domain.ASPECT_RATIOS);
    expect(client.IMAGE_SIZES).toEqual(domain.IMAGE_SIZES);
    expect(client.IMAGE_FORMATS).toEqual(domain.IMAGE_FORMATS);
    expect(client.WEBHOOK_EVENTS).toEqual(domain.WEBHOOK_EVENTS);
    expect(client.GENERATION_STATUSES).toEqual(domain.GENERATION_STATUSES);
    expect(client.TERMINAL_STATUSES).toEqual(domain.TERMINAL_STATUSES);
    expect(client.STAGES).toEqual(domain.STAGES);
    // Events are the stages while it runs (not "done"), then how it ended; an economy image
    // waiting at the maker is "submitted".
    expect(client.GENERATION_EVENTS).toEqual([
      "queued",
      "submitted",
      ...domain.STAGES.filter((s) => s !== "done" && s !== "queued"),
      ...domain.TERMINAL_STATUSES,
    ]);
  });
});

describe("the records", () => {
  it("the client's record is what presentGeneration makes of the service's", () => {
    // What the service keeps but never shows (storage keys, cache internals) is left out.
    type Shown = Omit<domain.GenerationRecord, "image" | "useCache" | "cacheKey" | "webhook">;
    expectTypeOf<Shown>().toExtend<Omit<client.GenerationRecord, "image" | "statusUrl">>();
    expectTypeOf<Omit<domain.ImageInfo, "key">>().toEqualTypeOf<client.GenerationImage>();
    expectTypeOf<domain.BatchSummary>().toExtend<client.BatchSummary>();
    expectTypeOf<client.BatchSummary>().toExtend<domain.BatchSummary>();
    const record = domain.newGenerationRecord({
      id: "gen_0000000000aaaaaaaaaaaaaaaa",
      userId: "u",
      request: domain.resolveRequest({ prompt: "x" }),
    });
    const shown = domain.presentGeneration(
      record,
      "http://api",
    ) as unknown as client.GenerationRecord;
    const keys: Array<keyof client.GenerationRecord> = [
      "id",
      "status",
      "stage",
      "cost",
      "image",
      "error",
      "statusUrl",
      "providerAttempts",
      "modelReason",
      "references",
    ];
    for (const key of keys) expect(shown).toHaveProperty(key);
  });
});

describe("the console's calls", () => {
  it("POST /classify's answer is what the classifier returns", () => {
    // With who decided: the classifier alone, unless a second opinion was asked for.
    expectTypeOf<
      ReturnType<typeof classifyPrompt> & { source: "local" }
    >().toExtend<client.ClassifyResult>();
    expectTypeOf<z.output<typeof domain.classificationSummarySchema>["secondOpinion"]>().toExtend<
      client.ClassifyResult["secondOpinion"]
    >();
  });
  it("a cost period and an operations hour are the store's totals", () => {
    expectTypeOf<domain.CostSummary>().toExtend<
      Omit<client.CostSeriesPeriod, "period" | "from" | "to">
    >();
    expectTypeOf<domain.OperationsTotals & { hour: string }>().toExtend<client.OperationsHour>();
    expectTypeOf<domain.Preferences>().toExtend<client.Preferences>();
  });
});
