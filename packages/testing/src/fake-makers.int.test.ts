import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "./fake-openai.ts";
import { type FakeStability, startFakeStability } from "./fake-stability.ts";

/**
 * The stand-ins refuse what the makers refuse, in the makers' own words: an adapter that sends
 * a malformed request fails against them as it would against OpenAI or Stability AI.
 */
let openai: FakeOpenAI;
let stability: FakeStability;
beforeAll(async () => {
  [openai, stability] = await Promise.all([startFakeOpenAI(), startFakeStability()]);
});
afterAll(() => Promise.all([openai.close(), stability.close()]));

const gif = () =>
  sharp({ create: { width: 4, height: 4, channels: 3, background: "blue" } })
    .gif()
    .toBuffer();

describe("the OpenAI stand-in", () => {
  const generate = (body: object, headers: Record<string, string> = {}) =>
    fetch(`${openai.url}/images/generations`, {
      method: "POST",
      headers: { authorization: "Bearer sk-any", "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it.each([
    [
      { model: "gpt-image-1.5", prompt: "a cat", size: "512x512" },
      "size",
      "invalid_value",
      "Invalid value: '512x512'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
    ],
    [
      { model: "gpt-image-2", prompt: "a cat", response_format: "b64_json" },
      "response_format",
      "unknown_parameter",
      "Unknown parameter: 'response_format'.",
    ],
    [
      { model: "gpt-image-2", size: "1024x1024" },
      "prompt",
      "missing_required_parameter",
      "Missing required parameter: 'prompt'.",
    ],
    [
      { model: "gpt-image-2", prompt: "a cat", quality: "max" },
      "quality",
      "invalid_value",
      "Invalid value: 'max'. Supported values are: 'low', 'medium', 'high', and 'auto'.",
    ],
    [
      { model: "gpt-image-2", prompt: "a cat", size: "1000x1000" },
      "size",
      "invalid_value",
      expect.stringMatching(/divisible by 16/),
    ],
  ])("refuses %j with OpenAI's 400 (%s, %s)", async (body, param, code, message) => {
    const response = await generate(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { message, type: "invalid_request_error", param, code },
    });
  });

  it("takes a custom size from gpt-image-2 on, and draws it", async () => {
    const response = await generate({ model: "gpt-image-2", prompt: "a cat", size: "1536x864" });
    const body = (await response.json()) as { data: Array<{ b64_json: string }>; size: string };
    expect(body.size).toBe("1536x864");
    const image = Buffer.from(body.data[0]?.b64_json ?? "", "base64");
    expect(await sharp(image).metadata()).toMatchObject({ width: 1536, height: 864 });
  });

  it("answers a call without an API key with OpenAI's 401", async () => {
    const response = await generate(
      { model: "gpt-image-2", prompt: "a cat" },
      { authorization: "" },
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      error: { message: expect.stringMatching(/^You didn't provide an API key/) },
    });
  });

  it("takes an edit's images as files only, png, jpeg or webp", async () => {
    const asJson = await fetch(`${openai.url}/images/edits`, {
      method: "POST",
      headers: { authorization: "Bearer sk-any", "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-image-2", prompt: "a cat" }),
    });
    expect(asJson.status).toBe(400);
    const form = new FormData();
    form.append("model", "gpt-image-2");
    form.append("prompt", "a cat");
    form.append("image[]", new Blob([new Uint8Array(await gif())], { type: "image/gif" }), "a.gif");
    const response = await fetch(`${openai.url}/images/edits`, {
      method: "POST",
      headers: { authorization: "Bearer sk-any" },
      body: form,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { param: "image[]", code: "unsupported_file_mimetype" },
    });
  });
});

describe("the Stability AI stand-in", () => {
  const post = (endpoint: string, form: FormData | string, accept = "image/*") =>
    fetch(`${stability.url}/v2beta/stable-image/generate/${endpoint}`, {
      method: "POST",
      headers: {
        authorization: "Bearer sk-any",
        accept,
        ...(typeof form === "string" ? { "content-type": "application/json" } : {}),
      },
      body: form,
    });
  const formOf = (fields: Record<string, string>) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    return form;
  };

  it("refuses what Stability refuses with its {id, name, errors} 400", async () => {
    const cases: Array<[string, FormData | string, string[]]> = [
      ["core", JSON.stringify({ prompt: "a cat" }), ["content-type: must be multipart/form-data"]],
      ["core", formOf({ aspect_ratio: "1:1" }), ["prompt: cannot be empty"]],
      [
        "ultra",
        formOf({ prompt: "a cat", aspect_ratio: "4:3" }),
        ["aspect_ratio: must be one of 1:1, 16:9, 9:16, 21:9, 9:21, 3:2, 2:3, 5:4, 4:5"],
      ],
      [
        "sd3",
        formOf({ prompt: "a cat", output_format: "webp" }),
        ["output_format: must be one of png, jpeg"],
      ],
      [
        "sd3",
        formOf({ prompt: "a cat", mode: "image-to-image" }),
        ["image: required when mode is image-to-image"],
      ],
      ["core", formOf({ prompt: "a cat", strength: "0.5" }), ["strength: unrecognized field"]],
    ];
    for (const [endpoint, form, errors] of cases) {
      const response = await post(endpoint, form);
      expect(response.status, `${endpoint} ${errors[0]}`).toBe(400);
      expect(await response.json()).toEqual({
        id: expect.any(String),
        name: "bad_request",
        errors,
      });
    }
  });

  it("wants a strength with an image to start from", async () => {
    const form = formOf({ prompt: "a cat" });
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "red" } })
      .png()
      .toBuffer();
    form.append("image", new Blob([new Uint8Array(png)], { type: "image/png" }), "a.png");
    const response = await post("ultra", form);
    expect(await response.json()).toMatchObject({
      name: "bad_request",
      errors: ["strength: required when an image is provided"],
    });
  });

  it("answers with the image's bytes and headers, or as JSON, as Accept asks", async () => {
    const bytes = await post("core", formOf({ prompt: "a cat", aspect_ratio: "9:16" }));
    expect(bytes.headers.get("content-type")).toBe("image/png");
    expect(bytes.headers.get("finish-reason")).toBe("SUCCESS");
    const image = Buffer.from(await bytes.arrayBuffer());
    expect(await sharp(image).metadata()).toMatchObject({ width: 768, height: 1344 });
    const json = await post("core", formOf({ prompt: "a cat" }), "application/json");
    expect(json.headers.get("content-type")).toBe("application/json; type=image/png");
    expect(await json.json()).toMatchObject({ finish_reason: "SUCCESS", seed: expect.any(String) });
    const other = await post("core", formOf({ prompt: "a cat" }), "text/html");
    expect(other.status).toBe(400);
  });
});
