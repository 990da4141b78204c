import { describe, expect, it } from "vitest";
import { fileNameFor, inputHash, parseRows, prepareRows, slug } from "./rows.ts";
import { UsageError } from "./usage.ts";

describe("parseRows", () => {
  it("reads a prompt a line from .txt, skipping blank lines and # comments", () => {
    const rows = parseRows("p.txt", "red sneaker\r\n\n# not this\n  blue mug  \n");
    expect(rows).toEqual([
      { row: 1, input: { prompt: "red sneaker" } },
      { row: 2, input: { prompt: "blue mug" } },
    ]);
  });

  it("reads .jsonl objects with the request's fields, or plain strings", () => {
    const rows = parseRows(
      "p.jsonl",
      '{"prompt":"a","quality":"premium","aspectRatio":"16:9"}\n\n"b"\n{"prompt":"c","metadata":{"sku":"X1"}}\n',
    );
    expect(rows.map((r) => r.input)).toEqual([
      { prompt: "a", quality: "premium", aspectRatio: "16:9" },
      { prompt: "b" },
      { prompt: "c", metadata: { sku: "X1" } },
    ]);
    expect(() => parseRows("p.jsonl", '{"prompt":"a","colour":"red"}')).toThrow(
      /line 1: unknown field colour/,
    );
    expect(() => parseRows("p.jsonl", "{nope")).toThrow(/line 1: not JSON/);
  });

  it("reads .csv with a prompt column; known columns are fields, others metadata", () => {
    const rows = parseRows(
      "p.csv",
      '\uFEFFprompt,aspect,Size,sku\n"red sneaker, side view",4:3,2K,A-1\nblue mug,,,\n',
    );
    expect(rows.map((r) => r.input)).toEqual([
      {
        prompt: "red sneaker, side view",
        aspectRatio: "4:3",
        imageSize: "2K",
        metadata: { sku: "A-1" },
      },
      { prompt: "blue mug" },
    ]);
    expect(() => parseRows("p.csv", "title\nx\n")).toThrow(/needs a prompt column/);
  });

  it("refuses other files and empty ones", () => {
    expect(() => parseRows("p.xlsx", "x")).toThrow(UsageError);
    expect(() => parseRows("p.txt", "\n# only a comment\n")).toThrow(/holds no prompts/);
  });
});

describe("prepareRows", () => {
  it("fills what a row leaves out from the flags, and keeps what it names", () => {
    const rows = prepareRows(
      [
        { row: 1, input: { prompt: "a" } },
        { row: 2, input: { prompt: "b", quality: "draft" } },
      ],
      { quality: "premium", format: "webp" },
    );
    expect(rows.map((r) => r.input)).toEqual([
      { prompt: "a", quality: "premium", format: "webp" },
      { prompt: "b", quality: "draft", format: "webp" },
    ]);
  });

  it("checks every row before anything is sent, naming the rows", () => {
    expect(() =>
      prepareRows(
        [
          { row: 1, input: { prompt: "" } },
          { row: 2, input: { prompt: "b", aspectRatio: "5:7" as never } },
        ],
        {},
      ),
    ).toThrow(/row 1: the prompt is empty\nrow 2: aspectRatio "5:7" is not one of/);
  });
});

describe("names", () => {
  it("slugs prompts into short, safe names", () => {
    expect(slug("Red Sneaker, on white!")).toBe("red-sneaker-on-white");
    expect(slug("Crème brûlée — ÜBER café")).toBe("creme-brulee-uber-cafe");
    expect(slug("a very long prompt about a lighthouse standing at dusk on a cliff")).toBe(
      "a-very-long-prompt-about-a-lighthouse",
    );
    expect(slug("日本語")).toBe("image");
  });

  it("names files by row, padded to the batch's size, with the image's extension", () => {
    expect(fileNameFor(1, 50, "red sneaker", "image/png")).toBe("0001-red-sneaker.png");
    expect(fileNameFor(7, 12000, "mug", "image/jpeg")).toBe("00007-mug.jpg");
    expect(fileNameFor(3, 3, "x", "image/webp")).toBe("0003-x.webp");
  });

  it("hashes a request the same whatever its key order", () => {
    expect(inputHash({ prompt: "a", quality: "draft" })).toBe(
      inputHash({ quality: "draft", prompt: "a" }),
    );
    expect(inputHash({ prompt: "a" })).not.toBe(inputHash({ prompt: "b" }));
  });
});
