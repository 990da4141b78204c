import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  batchRequestSchema,
  customTemplateSchema,
  feedbackSchema,
  generateBodySchema,
  preferencesSchema,
} from "@nanobanana/domain";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import sharp from "sharp";
import request, { type Response } from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { DOCS_ASSET_PATHS, docsContentSecurityPolicy } from "./openapi/docs-routes.ts";
import { buildOpenApiDocument } from "./openapi/document.ts";
import { registeredHandlers } from "./openapi/registered-routes.ts";
import { requestSchemaOptions } from "./openapi/request-schemas.ts";
import { newKeyBody } from "./routes/admin.ts";
import { classifyBody, enhanceBody } from "./routes/prompts.ts";
import { base64Body } from "./routes/uploads.ts";
import { apiUnderTest } from "./test-stack.ts";

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as untyped JSON
type Json = Record<string, any>;

const ALICE = "openapi-alice-key";
const ADMIN = "openapi-admin-key";
const apiKeys = [
  { key: ALICE, userId: "alice", admin: false },
  { key: ADMIN, userId: "ops", admin: true },
];
const as = (key: string) => ({ Authorization: `Bearer ${key}` });

// A worker draws (the sketch provider), so completed records and images are real; `idle` has
// none, so what it accepts stays queued and can be canceled.
// A console of one page and one asset, as `npm run build:console` lays it out; `idle` has none.
const consoleDir = mkdtempSync(join(tmpdir(), "nb-openapi-console-"));
mkdirSync(join(consoleDir, "assets"));
writeFileSync(
  join(consoleDir, "index.html"),
  '<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>',
);
writeFileSync(join(consoleDir, "assets", "app-1a2b.js"), "console.log('hi')");
const stack = apiUnderTest({
  label: "openapi",
  apiKeys,
  withWorker: true,
  overrides: { consoleDir },
});
const idle = apiUnderTest({
  label: "openapi-idle",
  apiKeys,
  overrides: { consoleDir: join(consoleDir, "missing") },
});
const app = stack.app;
beforeAll(() => stack.ready());
afterAll(() => Promise.all([stack.close(), idle.close()]));

const doc: Json = buildOpenApiDocument({
  batchMaxItems: stack.deps.batchMaxItems,
  publicUrl: stack.deps.publicUrl,
});

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
const operations = (): Array<{ method: string; path: string; op: Json }> =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] as Json })),
  );

/**
 * Routes of the Server-Sent Events change (another branch): documented already, and tolerated
 * as missing from the app until they are registered; once they are, they are checked like the
 * others (and then belong out of this set).
 */

/** What is mounted at a path without being a route of the API, and why it is not documented. */
const KNOWN_MOUNTS: Record<string, string> = {
  "/admin/queues":
    "Bull Board: a browser UI (HTTP Basic auth, admin key), with its own pages and XHR routes; not part of the API",
  "/assets": "the web console's bundled files (content-hashed names), served as they are",
  "/generate-batch": "the larger JSON body parser of POST /generate-batch",
  "/metrics":
    "lets GET /metrics (documented) take the admin key as a Basic auth password, for browsers",
  "/uploads": "the larger JSON body parser of POST /uploads",
};

const withoutDialect = ({ $schema: _dialect, ...schema }: Json) => schema;

/** The JSON body schema an operation documents. */
const bodySchemaOf = (method: string, path: string): Json =>
  doc.paths[path][method].requestBody.content["application/json"].schema;

/** Follows a local "#/…" $ref in the document. */
function resolve(node: Json): Json {
  if (typeof node?.$ref !== "string") return node;
  return (node.$ref as string)
    .slice(2)
    .split("/")
    .reduce((at: Json, key) => at[key.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
}

// Every schema of the document, compiled by Ajv (JSON Schema 2020-12, strict). For answers,
// objects are closed here (the document leaves them open for clients), so a field the API
// sends but the document does not name fails the test.
const DOC_ID = "urn:nanobanana:openapi";
const rewriteRefs = (node: unknown): unknown =>
  Array.isArray(node)
    ? node.map(rewriteRefs)
    : node && typeof node === "object"
      ? Object.fromEntries(
          Object.entries(node).map(([k, v]) => [
            k,
            k === "$ref" && typeof v === "string"
              ? v.replace("#/components/schemas/", `${DOC_ID}#/$defs/`)
              : rewriteRefs(v),
          ]),
        )
      : node;
const closeObjects = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!node || typeof node !== "object") return node;
  const out: Json = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, closeObjects(v)]));
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
};
const addFormats = ajvFormats as unknown as typeof ajvFormats.default;
// Strict: an unknown keyword or format is an error. But `required` may name keys that only
// `propertyNames` allows (zod's exhaustive records), and `type` may be a list (nullable fields).
const ajv = new Ajv2020({
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
  allErrors: true,
});
addFormats(ajv);
ajv.addKeyword("example");
ajv.addSchema({ $id: DOC_ID, $defs: closeObjects(rewriteRefs(doc.components.schemas)) });
const compiled = new Map<Json, ValidateFunction>();
const validatorOf = (schema: Json): ValidateFunction => {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(closeObjects(rewriteRefs(schema)) as Json);
    compiled.set(schema, validate);
  }
  return validate;
};

/** Operations a real successful (2xx, 3xx) answer was checked against, by "method path". */
const exercised = new Set<string>();

/**
 * Checks an answer against the document: its status is listed for the operation, its
 * Content-Type is one the document gives for that status, and a JSON body validates against
 * the schema.
 */
/** An event stream read to its end (the subject has ended, so the server closes it). */
const eventStream = (path: string) =>
  request(app)
    .get(path)
    .set(as(ALICE))
    .buffer(true)
    .parse((res, done) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on("end", () => done(null, text));
    });

function expectDocumented(res: Response, method: string, path: string, status?: number): Response {
  if (status !== undefined) {
    expect(res.status, `${method} ${path}: ${String(res.text).slice(0, 300)}`).toBe(status);
  }
  const op = doc.paths[path]?.[method];
  expect(op, `${method} ${path} is not in the document`).toBeDefined();
  const listed = op.responses[String(res.status)];
  expect(
    listed,
    `${method} ${path} answered ${res.status} (${String(res.text).slice(0, 200)}), which the document does not list`,
  ).toBeDefined();
  const response = resolve(listed);
  const type = String(res.headers["content-type"] ?? "").split(";")[0] ?? "";
  if (!response.content) {
    expect(res.text ?? "", `${method} ${path} ${res.status} has a body`).toBe("");
    expect(type, `${method} ${path} ${res.status} has a Content-Type`).toBe("");
  } else {
    expect(Object.keys(response.content), `${method} ${path} ${res.status}`).toContain(type);
    if (type === "application/json") {
      const validate = validatorOf(response.content[type].schema);
      expect(
        validate(res.body),
        `${method} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`,
      ).toBe(true);
    }
  }
  if (res.status < 400) exercised.add(`${method} ${path}`);
  return res;
}

describe("the OpenAPI document", () => {
  it("is served at GET /openapi.json without a key, as built", async () => {
    const res = await request(app).get("/openapi.json").expect(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(res.body.openapi).toMatch(/^3\.1\./);
  });

  it("passes an OpenAPI 3.1 validator, which does refuse a broken copy", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");

    const broken = structuredClone(doc);
    delete broken.paths["/generate"].post.responses["202"].description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it("holds only valid JSON Schema 2020-12 (every schema compiles under Ajv's strict mode)", () => {
    for (const { method, path, op } of operations()) {
      for (const [status, listed] of Object.entries(op.responses as Json)) {
        for (const media of Object.values((resolve(listed).content ?? {}) as Json)) {
          expect(() => validatorOf(media.schema), `${method} ${path} ${status}`).not.toThrow();
        }
      }
      for (const media of Object.values((op.requestBody?.content ?? {}) as Json)) {
        expect(() => validatorOf(media.schema), `${method} ${path} body`).not.toThrow();
      }
      for (const parameter of (op.parameters ?? []) as Json[]) {
        expect(() => validatorOf(resolve(parameter).schema)).not.toThrow();
      }
    }
  });
});

describe("routes: the document and the app list the same", () => {
  const registered = registeredHandlers(app);
  const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
  const routes = new Set(registered.routes.map(key));
  const documented = new Set(operations().map(key));
  const assets = new Set(DOCS_ASSET_PATHS.map((path) => `get ${path}`));

  it("finds the routes of every router (a sanity check of the walk)", () => {
    for (const route of ["get /health", "post /generate", "get /generation/{id}/status"]) {
      expect(routes).toContain(route);
    }
    for (const asset of assets)
      expect(routes, "a /docs asset no longer registered").toContain(asset);
  });

  it("documents every route the app registers (but the /docs page's own files)", () => {
    const undocumented = [...routes].filter((r) => !documented.has(r) && !assets.has(r));
    expect(undocumented).toEqual([]);
  });

  it("registers every route the document lists", () => {
    const missing = [...documented].filter((r) => !routes.has(r));
    expect(missing).toEqual([]);
  });

  it("mounts nothing else at a path: what is not a route is known, with the reason it is not documented", () => {
    const mounts = [...new Set(registered.mounts.map((m) => m.path))].sort();
    expect(mounts).toEqual(Object.keys(KNOWN_MOUNTS).sort());
  });
});

describe("request bodies come from the routes' own zod schemas", () => {
  const bodies: Array<[method: string, path: string, schema: z.ZodType]> = [
    ["post", "/generate", generateBodySchema],
    ["post", "/generate-batch", batchRequestSchema(stack.deps.batchMaxItems)],
    ["post", "/classify", classifyBody],
    ["post", "/enhance", enhanceBody],
    ["post", "/generation/{id}/feedback", feedbackSchema],
    ["put", "/user/{id}/preferences", preferencesSchema],
    ["post", "/user/{id}/templates", customTemplateSchema],
    ["post", "/admin/keys", newKeyBody],
    ["post", "/uploads", base64Body],
  ];

  it("POST /generate's body is z.toJSONSchema(generateBodySchema)", () => {
    expect(bodySchemaOf("post", "/generate")).toEqual(
      withoutDialect(z.toJSONSchema(generateBodySchema, requestSchemaOptions())),
    );
    // And what zod exports with no options at all is in it unchanged: the options only add
    // (descriptions, and the checks zod cannot export) and read the input side.
    const { $schema: _dialect, ...plain } = z.toJSONSchema(generateBodySchema, { io: "input" });
    const { webhook, ...properties } = plain.properties ?? {};
    const documented = bodySchemaOf("post", "/generate");
    expect(documented).toMatchObject({ ...plain, properties });
    // The one reshaped field: z.preprocess also takes the webhook as a plain URL.
    expect(documented.properties.webhook.anyOf).toEqual([
      expect.objectContaining({ type: "string" }),
      webhook,
    ]);
  });

  it("every JSON body in the document is its route's schema, converted the same way", () => {
    for (const [method, path, schema] of bodies) {
      expect(bodySchemaOf(method, path), `${method} ${path}`).toEqual(
        withoutDialect(z.toJSONSchema(schema, requestSchemaOptions())),
      );
    }
    const withJsonBodies = operations()
      .filter(({ op }) => op.requestBody?.content?.["application/json"])
      .map(({ method, path }) => `${method} ${path}`);
    expect(withJsonBodies.sort()).toEqual(bodies.map(([m, p]) => `${m} ${p}`).sort());
    // The batch limit is the deployment's (BATCH_MAX_ITEMS), not a constant.
    expect(bodySchemaOf("post", "/generate-batch").properties.items.maxItems).toBe(
      stack.deps.batchMaxItems,
    );
  });

  it("the checks written by hand (what zod cannot export) agree with zod on samples", () => {
    const upl = `upl_${"0".repeat(26)}`;
    const metadata = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    const samples: Array<[method: string, path: string, schema: z.ZodType, body: unknown]> = [
      [
        "post",
        "/generate",
        generateBodySchema,
        { prompt: "a kite", webhook: "https://h.example/x" },
      ],
      [
        "post",
        "/generate",
        generateBodySchema,
        {
          prompt: "a kite",
          webhook: { url: "https://h.example/x", events: ["generation.failed"] },
        },
      ],
      ["post", "/generate", generateBodySchema, { prompt: "a kite", webhook: 7 }],
      ["post", "/generate", generateBodySchema, { prompt: "a kite", webhook: { events: [] } }],
      [
        "post",
        "/generate",
        generateBodySchema,
        { prompt: "a kite", images: [upl, "https://h.example/a.png"] },
      ],
      [
        "post",
        "/generate",
        generateBodySchema,
        { prompt: "a kite", images: ["http://h.example/a.png"] },
      ],
      ["post", "/generate", generateBodySchema, { prompt: "a kite", images: ["upl_short"] }],
      [
        "post",
        "/generate",
        generateBodySchema,
        { prompt: "a kite", images: ["https://h.example/a b.png"] },
      ],
      ["post", "/generate", generateBodySchema, { prompt: "a kite", metadata: metadata(20) }],
      ["post", "/generate", generateBodySchema, { prompt: "a kite", metadata: metadata(21) }],
      ["post", "/generate", generateBodySchema, { prompt: "a kite", quality: "ultra" }],
      ["post", "/generate", generateBodySchema, { prompt: "a kite", colour: "red" }],
      [
        "post",
        "/generate-batch",
        batchRequestSchema(stack.deps.batchMaxItems),
        { items: [{ prompt: "a" }], webhook: "https://h.example/x" },
      ],
      [
        "put",
        "/user/{id}/preferences",
        preferencesSchema,
        { webhook: "https://h.example/x", monthlyBudgetUsd: 5 },
      ],
      [
        "post",
        "/user/{id}/templates",
        customTemplateSchema,
        {
          subcategory: "product",
          quality: "premium",
          lead: "A photo of {subject}",
          clauses: ["soft light"],
        },
      ],
      [
        "post",
        "/user/{id}/templates",
        customTemplateSchema,
        {
          subcategory: "product",
          quality: "premium",
          lead: "A photo of it",
          clauses: ["soft light"],
        },
      ],
    ];
    for (const [method, path, schema, body] of samples) {
      const byZod = schema.safeParse(body).success;
      expect(validatorOf(bodySchemaOf(method, path))(body), `${JSON.stringify(body)}`).toBe(byZod);
    }
  });
});

describe("authentication: the document says which operations need a key", () => {
  const ids: Record<string, string> = {
    "/generation/": `gen_${"0".repeat(26)}`,
    "/batch/": `bat_${"0".repeat(26)}`,
    "/user/": "me",
    "/admin/keys/": "abc",
  };
  const concrete = (path: string) =>
    path
      .replace("{id}", Object.entries(ids).find(([prefix]) => path.startsWith(prefix))?.[1] ?? "x")
      .replace("{templateId}", "product.premium")
      .replace("{keyId}", "abc");

  it("refuses every keyed operation without a key (401), and answers the public ones", async () => {
    for (const { method, path, op } of operations()) {
      const res = await (request(app) as unknown as Record<string, (p: string) => request.Test>)
        [method]?.(concrete(path))
        .redirects(0);
      const isPublic = Array.isArray(op.security) && op.security.length === 0;
      if (isPublic) expect(res?.status, `${method} ${path}`).not.toBe(401);
      else expectDocumented(res as Response, method, path, 401);
    }
    expect(doc.security).toEqual([{ apiKey: [] }]);
  });
});

describe("GET / (the web console)", () => {
  it("serves the console's page with its own CSP, and its files for a year", async () => {
    const page = expectDocumented(await request(app).get("/"), "get", "/", 200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["cache-control"]).toBe("no-cache");
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("img-src 'self' data: blob:");
    expect(csp).not.toMatch(/unsafe-eval|https?:/);
    const asset = await request(app).get("/assets/app-1a2b.js").expect(200);
    expect(asset.headers["cache-control"]).toMatch(/max-age=31536000.*immutable/);
    // A missing asset is the API's JSON 404 (after authentication), not an HTML page.
    await request(app).get("/assets/nope.js").expect(401);
  });

  it("says how to build it where it is not built", async () => {
    const res = expectDocumented(await request(idle.app).get("/"), "get", "/", 404);
    expect(res.body.error.message).toMatch(/npm run build:console/);
  });
});

describe("GET /docs", () => {
  it("serves the page, with a precise CSP, and the renderer's files from this server", async () => {
    const res = expectDocumented(await request(app).get("/docs"), "get", "/docs", 200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toBe(docsContentSecurityPolicy(undefined));
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/\*|unsafe-inline|unsafe-eval|https?:/);
    const sources = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(sources.filter((s) => !s.startsWith("/"))).toEqual([]);
    const assets = sources.filter((s) => s.startsWith("/docs/"));
    expect(assets.map((s) => s.split("?")[0]).sort()).toEqual([...DOCS_ASSET_PATHS].sort());
    for (const asset of assets) {
      const file = await request(app).get(asset).expect(200);
      expect(file.headers["cache-control"]).toMatch(/immutable/);
      const type = String(file.headers["content-type"]);
      if (asset.includes(".js")) expect(type).toMatch(/^(text|application)\/javascript/);
      if (asset.includes(".css")) expect(type).toMatch(/^text\/css/);
    }
    const bundle = await request(app).get("/docs/swagger-ui-bundle.js").expect(200);
    expect(bundle.text).toContain("SwaggerUIBundle");
  });

  it("allows Try it out to reach PUBLIC_URL's origin when the API names one", () => {
    expect(docsContentSecurityPolicy("https://api.example.com/")).toContain(
      "connect-src 'self' https://api.example.com;",
    );
  });
});

describe("real answers match the document", () => {
  let png: Buffer;
  let generationId = "";
  let batchId = "";

  beforeAll(async () => {
    png = await sharp({ create: { width: 24, height: 16, channels: 3, background: "#3498db" } })
      .png()
      .toBuffer();
  });

  const waitUntilEnded = async (path: string) => {
    for (let i = 0; i < 200; i++) {
      const res = await request(app).get(path).set(as(ALICE));
      const status = res.body.status ?? (res.body.progress === 1 ? "completed" : "queued");
      if (["completed", "failed", "canceled"].includes(status)) return res;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${path} did not end`);
  };

  it("service, models and prompts", async () => {
    expectDocumented(await request(app).get("/health"), "get", "/health", 200);
    expectDocumented(await request(app).get("/openapi.json"), "get", "/openapi.json");
    expectDocumented(await request(app).get("/models").set(as(ALICE)), "get", "/models", 200);
    for (const path of ["/classify", "/enhance"]) {
      const ok = await request(app).post(path).set(as(ALICE)).send({ prompt: "a red kite" });
      expectDocumented(ok, "post", path, 200);
      const bad = await request(app).post(path).set(as(ALICE)).send({ prompt: "" });
      expectDocumented(bad, "post", path, 400);
    }
    const tooLarge = await request(app)
      .post("/classify")
      .set(as(ALICE))
      .send({ prompt: "x".repeat(300 * 1024) });
    expectDocumented(tooLarge, "post", "/classify", 413);
    const encoded = await request(app)
      .post("/enhance")
      .set({ ...as(ALICE), "Content-Type": "application/json", "Content-Encoding": "zip" })
      .send('{"prompt":"a kite"}');
    expectDocumented(encoded, "post", "/enhance", 415);
  });

  it("uploads, each of the three ways", async () => {
    const multipart = await request(app)
      .post("/uploads")
      .set(as(ALICE))
      .attach("file", png, { filename: "a.png", contentType: "image/png" });
    expectDocumented(multipart, "post", "/uploads", 201);
    const raw = await request(app)
      .post("/uploads")
      .set({ ...as(ALICE), "Content-Type": "image/png" })
      .send(png);
    expectDocumented(raw, "post", "/uploads", 201);
    const json = await request(app)
      .post("/uploads")
      .set(as(ALICE))
      .send({ data: png.toString("base64"), mimeType: "image/png" });
    expectDocumented(json, "post", "/uploads", 201);
    const text = await request(app)
      .post("/uploads")
      .set({ ...as(ALICE), "Content-Type": "text/plain" })
      .send("hello");
    expectDocumented(text, "post", "/uploads", 415);
  });

  it("a generation: accepted, drawn, fetched, rated", async () => {
    const upload = await request(app)
      .post("/uploads")
      .set(as(ALICE))
      .attach("file", png, { filename: "a.png", contentType: "image/png" });
    const accepted = await request(app)
      .post("/generate")
      .set({ ...as(ALICE), "Idempotency-Key": "openapi-1" })
      .send({ prompt: "a red kite over dunes", images: [upload.body.id], metadata: { run: 1 } });
    expectDocumented(accepted, "post", "/generate", 202);
    const replayed = await request(app)
      .post("/generate")
      .set({ ...as(ALICE), "Idempotency-Key": "openapi-1" })
      .send({ prompt: "a red kite over dunes", images: [upload.body.id], metadata: { run: 1 } });
    expect(replayed.headers["idempotent-replayed"]).toBe("true");
    expectDocumented(replayed, "post", "/generate", 202);
    const reused = await request(app)
      .post("/generate")
      .set({ ...as(ALICE), "Idempotency-Key": "openapi-1" })
      .send({ prompt: "another" });
    expectDocumented(reused, "post", "/generate", 409);
    generationId = accepted.body.id;

    const status = await waitUntilEnded(`/generation/${generationId}/status`);
    expect(status.body.status).toBe("completed");
    expectDocumented(status, "get", "/generation/{id}/status");
    // An ended generation's stream: its final event, then the end.
    const events = await eventStream(`/generation/${generationId}/events`);
    expectDocumented(events, "get", "/generation/{id}/events", 200);
    expect(events.body).toMatch(/^event: completed$/m);
    const badId = await request(app).get("/generation/gen_nope/events").set(as(ALICE));
    expectDocumented(badId, "get", "/generation/{id}/events", 400);
    const waited = await request(app)
      .post("/generate")
      .set({ ...as(ALICE), Prefer: "wait=30" })
      .send({ prompt: "a green kite, waited for" });
    expectDocumented(waited, "post", "/generate", 200);
    expect(waited.headers["preference-applied"]).toBe("wait=30");
    const image = await request(app)
      .get(`/generation/${generationId}/image`)
      .set(as(ALICE))
      .expect(200);
    expectDocumented(image, "get", "/generation/{id}/image");
    const cached = await request(app)
      .get(`/generation/${generationId}/image`)
      .set({ ...as(ALICE), "If-None-Match": String(image.headers.etag) });
    expectDocumented(cached, "get", "/generation/{id}/image", 304);
    const thumbnail = await request(app)
      .get(`/generation/${generationId}/thumbnail?size=128`)
      .set(as(ALICE));
    expectDocumented(thumbnail, "get", "/generation/{id}/thumbnail", 200);
    const sameThumbnail = await request(app)
      .get(`/generation/${generationId}/thumbnail?size=128`)
      .set({ ...as(ALICE), "If-None-Match": String(thumbnail.headers.etag) });
    expectDocumented(sameThumbnail, "get", "/generation/{id}/thumbnail", 304);
    const oddSize = await request(app)
      .get(`/generation/${generationId}/thumbnail?size=100`)
      .set(as(ALICE));
    expectDocumented(oddSize, "get", "/generation/{id}/thumbnail", 400);
    const feedback = await request(app)
      .post(`/generation/${generationId}/feedback`)
      .set(as(ALICE))
      .send({ rating: "up", comment: "crisp" });
    expectDocumented(feedback, "post", "/generation/{id}/feedback", 200);
    const late = await request(app).post(`/generation/${generationId}/cancel`).set(as(ALICE));
    expectDocumented(late, "post", "/generation/{id}/cancel", 409);
    const malformed = await request(app).get("/generation/gen_nope/status").set(as(ALICE));
    expectDocumented(malformed, "get", "/generation/{id}/status", 400);
    const unknown = await request(app)
      .get(`/generation/gen_${"0".repeat(26)}/status`)
      .set(as(ALICE));
    expectDocumented(unknown, "get", "/generation/{id}/status", 404);
  });

  it("a generation canceled while queued", async () => {
    const accepted = await request(idle.app)
      .post("/generate")
      .set(as(ALICE))
      .send({ prompt: "a blue kite" })
      .expect(202);
    const canceled = await request(idle.app)
      .post(`/generation/${accepted.body.id}/cancel`)
      .set(as(ALICE));
    expectDocumented(canceled, "post", "/generation/{id}/cancel", 200);
    const image = await request(idle.app)
      .get(`/generation/${accepted.body.id}/image`)
      .set(as(ALICE));
    expectDocumented(image, "get", "/generation/{id}/image", 409);
  });

  it("batches", async () => {
    const accepted = await request(app)
      .post("/generate-batch")
      .set(as(ALICE))
      .send({ items: [{ prompt: "a kite" }, { prompt: "a boat", quality: "draft" }] });
    expectDocumented(accepted, "post", "/generate-batch", 202);
    batchId = accepted.body.batchId;
    const status = await waitUntilEnded(`/batch/${batchId}/status?limit=1`);
    expectDocumented(status, "get", "/batch/{id}/status");
    const events = await eventStream(`/batch/${batchId}/events`);
    expectDocumented(events, "get", "/batch/{id}/events", 200);
    expect(events.body).toMatch(/^event: completed$/m);
    const refused = await request(app).post("/generate-batch").set(as(ALICE)).send({ items: [] });
    expectDocumented(refused, "post", "/generate-batch", 400);

    const queued = await request(idle.app)
      .post("/generate-batch")
      .set(as(ALICE))
      .send({ items: [{ prompt: "a kite" }] })
      .expect(202);
    const canceled = await request(idle.app)
      .post(`/batch/${queued.body.batchId}/cancel`)
      .set(as(ALICE));
    expectDocumented(canceled, "post", "/batch/{id}/cancel", 200);
    expect(canceled.body.canceled).toBe(1);
    const unknown = await request(app)
      .get(`/batch/bat_${"0".repeat(26)}/status`)
      .set(as(ALICE));
    expectDocumented(unknown, "get", "/batch/{id}/status", 404);
  });

  it("a user's history, cost, preferences and templates", async () => {
    const get = (path: string, key = ALICE) => request(app).get(path).set(as(key));
    expectDocumented(await get("/user/me/history?limit=2"), "get", "/user/{id}/history", 200);
    expectDocumented(await get("/user/bob/history"), "get", "/user/{id}/history", 403);
    expectDocumented(await get("/user/me/cost"), "get", "/user/{id}/cost", 200);
    expectDocumented(await get("/user/me/cost?date=2026-02-31"), "get", "/user/{id}/cost", 400);
    const filtered =
      "/user/me/history?status=completed&domain=diagrams&from=2026-01-01&to=2026-12-31";
    expectDocumented(await get(filtered), "get", "/user/{id}/history", 200);
    const backwards = "/user/me/history?from=2026-02-01&to=2026-01-01";
    expectDocumented(await get(backwards), "get", "/user/{id}/history", 400);
    const series = "/user/me/cost/series?by=week&count=4";
    expectDocumented(await get(series), "get", "/user/{id}/cost/series", 200);
    const badSeries = "/user/me/cost/series?by=year";
    expectDocumented(await get(badSeries), "get", "/user/{id}/cost/series", 400);
    expectDocumented(await get("/user/bob/cost/series"), "get", "/user/{id}/cost/series", 403);
    expectDocumented(await get("/me"), "get", "/me", 200);
    expectDocumented(await get("/user/me/preferences"), "get", "/user/{id}/preferences", 200);
    const put = await request(app)
      .put("/user/me/preferences")
      .set(as(ALICE))
      .send({ quality: "premium", aspectRatio: "4:3", monthlyBudgetUsd: 20 });
    expectDocumented(put, "put", "/user/{id}/preferences", 200);
    expectDocumented(await get("/user/me/preferences"), "get", "/user/{id}/preferences", 200);

    const template = {
      subcategory: "product",
      quality: "premium",
      lead: "A studio photograph of {subject}",
      clauses: ["soft light"],
    };
    const post = () => request(app).post("/user/me/templates").set(as(ALICE)).send(template);
    expectDocumented(await post(), "post", "/user/{id}/templates", 201);
    expectDocumented(await post(), "post", "/user/{id}/templates", 200);
    expectDocumented(await get("/user/me/templates"), "get", "/user/{id}/templates", 200);
    const remove = () => request(app).delete("/user/me/templates/product.premium").set(as(ALICE));
    expectDocumented(await remove(), "delete", "/user/{id}/templates/{templateId}", 204);
    expectDocumented(await remove(), "delete", "/user/{id}/templates/{templateId}", 404);
  });

  it("webhooks", async () => {
    const get = (path: string) => request(app).get(path).set(as(ALICE));
    expectDocumented(await get("/webhooks/secret"), "get", "/webhooks/secret", 200);
    const rotated = await request(app).post("/webhooks/secret/rotate").set(as(ALICE));
    expectDocumented(rotated, "post", "/webhooks/secret/rotate", 200);
    expectDocumented(await get("/webhooks/deliveries"), "get", "/webhooks/deliveries", 200);
  });

  it("admin routes, and what a user's key gets from them", async () => {
    const get = (path: string, key = ADMIN) => request(app).get(path).set(as(key));
    for (const path of [
      "/queue/status",
      "/metrics",
      "/templates/stats",
      "/admin/keys",
      "/admin/stats",
    ]) {
      expectDocumented(await get(path), "get", path, 200);
      expectDocumented(await get(path, ALICE), "get", path, 403);
    }
    const made = await request(app).post("/admin/keys").set(as(ADMIN)).send({ userId: "carol" });
    expectDocumented(made, "post", "/admin/keys", 201);
    const refused = await request(app).post("/admin/keys").set(as(ADMIN)).send({ userId: "c a" });
    expectDocumented(refused, "post", "/admin/keys", 400);
    const revoked = await request(app).delete(`/admin/keys/${made.body.keyId}`).set(as(ADMIN));
    expectDocumented(revoked, "delete", "/admin/keys/{keyId}", 204);
    const unknown = await request(app).delete("/admin/keys/nope").set(as(ADMIN));
    expectDocumented(unknown, "delete", "/admin/keys/{keyId}", 404);
  });

  it("every documented operation was checked against a real successful answer above", () => {
    const _routes = new Set(registeredHandlers(app).routes.map((r) => `${r.method} ${r.path}`));
    const unchecked = operations()
      .map(({ method, path }) => `${method} ${path}`)
      .filter((op) => !exercised.has(op));
    expect(unchecked).toEqual([]);
  });
});

describe("query parameters: the documented bounds are the enforced ones", () => {
  it("each whole-number parameter is refused just past its documented maximum, naming both bounds", async () => {
    const batch = await request(app)
      .post("/generate-batch")
      .set(as(ALICE))
      .send({ items: [{ prompt: "a kite" }] })
      .expect(202);
    const concrete = (path: string) =>
      path.replace("{id}", path.startsWith("/batch/") ? batch.body.batchId : "me");
    let checked = 0;
    for (const { method, path, op } of operations()) {
      for (const parameter of (op.parameters ?? []).map(resolve)) {
        if (parameter.in !== "query" || parameter.schema.type !== "integer") continue;
        const { minimum, maximum } = parameter.schema;
        const url = `${concrete(path)}?${parameter.name}=`;
        const key = path.startsWith("/admin/") ? ADMIN : ALICE;
        const over = await request(app)
          [method as "get"](`${url}${maximum + 1}`)
          .set(as(key));
        expect(over.status, `${path} ${parameter.name}=${maximum + 1}`).toBe(400);
        expect(over.body.error.message).toBe(
          `${parameter.name} must be a whole number from ${minimum} to ${maximum}`,
        );
        const at = await request(app)[method as "get"](`${url}${maximum}`).set(as(key));
        expect(at.status, `${path} ${parameter.name}=${maximum}`).toBe(200);
        checked++;
      }
    }
    expect(checked).toBe(5);
  });
});
