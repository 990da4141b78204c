import { describe, expect, it } from "vitest";
import { csvRows, formatOf, parseBatch } from "./parse-batch.ts";

describe("batch input", () => {
  it("takes a prompt a line, skipping blank lines", () => {
    expect(parseBatch("red sneaker\n\n  blue mug  \r\n", "text")).toEqual({
      items: [{ prompt: "red sneaker" }, { prompt: "blue mug" }],
      errors: [],
    });
  });

  it("reads CSV with quotes, commas and line breaks inside fields, and the known columns", () => {
    const csv =
      '\uFEFFprompt,quality,aspect_ratio,notes\n"a mug, blue",premium,16:9,x\n"say ""hi""\nthere",,,\n';
    expect(parseBatch(csv, "csv")).toEqual({
      items: [
        { prompt: "a mug, blue", quality: "premium", aspectRatio: "16:9" },
        { prompt: 'say "hi"\nthere' },
      ],
      errors: [],
    });
    expect(csvRows("a,b\r\n1,2")).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
  });

  it("says which CSV rows and JSONL lines are wrong", () => {
    expect(parseBatch("title\nx\n", "csv").errors).toEqual(['the CSV needs a "prompt" column']);
    expect(parseBatch("prompt,quality\n,draft\nok,\n", "csv")).toEqual({
      items: [{ prompt: "ok" }],
      errors: ["row 2: the prompt is empty"],
    });
    const jsonl = '{"prompt":"a","quality":"draft"}\nnot json\n[1]\n{"prompt":""}\n';
    expect(parseBatch(jsonl, "jsonl")).toEqual({
      items: [{ prompt: "a", quality: "draft" }],
      errors: [
        "line 2: not valid JSON",
        'line 3: expected an object with a "prompt"',
        'line 4: "prompt" is missing or empty',
      ],
    });
  });

  it("tells the format by the file's name, else by its content", () => {
    expect(formatOf("shots.CSV", "")).toBe("csv");
    expect(formatOf("shots.jsonl", "")).toBe("jsonl");
    expect(formatOf("prompts", '{"prompt":"x"}')).toBe("jsonl");
    expect(formatOf("prompts", "a red sneaker")).toBe("text");
  });
});
