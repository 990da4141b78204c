import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiUnderTest } from "./test-stack.ts";

/**
 * GET /docs in a real browser: Debian's chromium (`apt-get install chromium`), or CHROMIUM_PATH.
 * Skipped, loudly, where there is none; under CI its absence fails the run instead.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI) throw new Error(`CI needs a chromium for the /docs page test: ${CHROMIUM}`);
  process.stderr.write(
    `\n!!! no chromium at ${CHROMIUM}: the /docs browser test is SKIPPED (apt-get install chromium, or set CHROMIUM_PATH)\n\n`,
  );
}

const KEY = "docs-page-key";
const stack = apiUnderTest({
  label: "docs-page",
  apiKeys: [{ key: KEY, userId: "alice", admin: false }],
});
afterAll(() => stack.close());

describe.skipIf(!haveChromium)("GET /docs in a browser", () => {
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requested: string[] = [];
  /** The Authorization header of each request to /models. */
  const modelsAuth: Array<string | undefined> = [];

  beforeAll(async () => {
    server = stack.app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage();
    // A loaded machine renders the 1.7 MB bundle slowly; nothing here waits on a timer.
    page.setDefaultTimeout(60_000);
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on("request", (r) => {
      requested.push(r.url());
      if (r.url() === `${base}/models`) modelsAuth.push(r.headers().authorization);
    });
  });
  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("renders the operations from /openapi.json, with nothing from other hosts and no errors", async () => {
    const res = await page.goto(`${base}/docs`);
    expect(res?.status()).toBe(200);
    const generate = page.locator('.opblock-post .opblock-summary-path[data-path="/generate"]');
    await generate.waitFor();
    await expect(page.locator(".info .title").textContent()).resolves.toContain("NanoBanana API");
    await expect(page.locator(".opblock").count()).resolves.toBeGreaterThan(30);

    // The request body is the zod schema's: its fields show once the operation is opened.
    await generate.click();
    const body = page.locator("#operations-Generations-createGeneration .opblock-body");
    await body.getByText("Request body").waitFor();
    await body.getByRole("tab", { name: "Schema" }).first().click();
    await body.locator(".model-box").getByText("prompt").first().waitFor();

    expect(requested.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
    expect(problems).toEqual([]);
  }, 120_000);

  it("sends Try it out requests to this server, with the key from Authorize", async () => {
    await page.locator('.opblock-get .opblock-summary-path[data-path="/models"]').click();
    const models = page.locator("#operations-Models-listModels");
    await models.getByRole("button", { name: "Try it out" }).click();
    await models.getByRole("button", { name: "Execute" }).click();
    const status = (code: string) =>
      models.locator(".live-responses-table tbody .response-col_status", { hasText: code });
    await status("401").waitFor();

    await page.getByRole("button", { name: "Authorize" }).first().click();
    await page.locator("#auth-bearer-value").fill(KEY);
    await page.getByRole("button", { name: "Apply credentials" }).click();
    await page.locator(".auth-container .btn-done").click();
    await models.getByRole("button", { name: "Execute" }).click();
    await status("200").waitFor();

    expect(modelsAuth).toEqual([undefined, `Bearer ${KEY}`]);
    expect(requested.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
    // The browser logs the 401 before Authorize as a failed load; nothing else may be logged.
    expect(problems).toEqual([
      "error: Failed to load resource: the server responded with a status of 401 (Unauthorized)",
    ]);
  }, 120_000);
});
