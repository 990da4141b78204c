import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { testRedisUrl, uniquePrefix, waitFor } from "@nanobanana/testing";
import { unzipSync } from "fflate";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureConsoleBuilt } from "../scripts/ensure-built.ts";

/**
 * The console in a real browser against the real service: `npm start`'s program (API and
 * worker, sketch provider) on the test Redis, Debian's chromium driven by playwright-core.
 * Skipped, loudly, where there is no chromium; under CI its absence fails the run instead.
 *
 * CONSOLE_SCREENSHOTS=1 also saves each page at 1280×800 to docs/screenshots/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI) throw new Error(`CI needs a chromium for the console test: ${CHROMIUM}`);
  process.stderr.write(
    `\n!!! no chromium at ${CHROMIUM}: the console browser test is SKIPPED (apt-get install chromium, or set CHROMIUM_PATH)\n\n`,
  );
}

const ROOT = resolve(import.meta.dirname, "../../..");
const MAIN = join(ROOT, "apps/local/src/main.ts");
const SHOTS = process.env.CONSOLE_SCREENSHOTS === "1" ? join(ROOT, "docs/screenshots") : null;

interface Service {
  child: ChildProcess;
  base: string;
  key: string;
  signInLink: string;
  output: () => string;
}

async function startService(dataDir: string): Promise<Service> {
  const { API_KEYS: _k, REDIS_URL: _r, ...inherited } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: ROOT,
    env: {
      ...inherited,
      PORT: "0",
      DATA_DIR: dataDir,
      REDIS_URL: testRedisUrl(),
      KEY_PREFIX: uniquePrefix("console"),
      PROVIDER: "sketch",
      MONTHLY_BUDGET_USD: "5",
      // A price for the sketch, so the cost page has spend to show.
      MODEL_PRICES: '{"sketch-v1":0.01}',
      // The economy tier in seconds, not minutes.
      ECONOMY_WINDOW_MS: "500",
      ECONOMY_POLL_MS: "200",
      SKETCH_BATCH_DELAY_MS: "800",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const banner = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${err}`);
      return /Press Ctrl\+C to stop/.test(out) ? out : undefined;
    },
    { timeoutMs: 60_000, what: "the start banner" },
  );
  const base = banner.match(/running on (http:\/\/localhost:\d+)/)?.[1];
  const key = banner.match(/^\s+(nb_[\w-]+)$/m)?.[1];
  if (!base || !key) throw new Error(`banner without URL or key:\n${banner}`);
  // The banner's sign-in link, once it prints one; else the same link made from its key.
  const link =
    banner.match(/(http:\/\/\S+\/#\/sign-in\?key=\S+)/)?.[1] ??
    `${base}/#/sign-in?key=${encodeURIComponent(key)}`;
  return { child, base, key, signInLink: link, output: () => out + err };
}

/** An image as the page sees it (runs in the browser). */
interface LoadedImage {
  complete: boolean;
  naturalWidth: number;
}

describe.skipIf(!haveChromium)("the web console", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "nb-console-"));
  let service: Service;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Console errors, page errors and CSP violations: any fails the test that caused it. */
  const problems: string[] = [];
  /** Messages a step expects (a refused key logs its 401); each is taken off once. */
  const expected: RegExp[] = [];
  const requested: string[] = [];

  /** Saves the page (from its top, or from `from`'s top) when CONSOLE_SCREENSHOTS=1. */
  const shot = async (name: string, from?: Locator) => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    if (from) {
      await from.evaluate((el) =>
        (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: "start" }),
      );
    } else {
      await page.evaluate(() =>
        (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
      );
    }
    await page.mouse.move(0, 0); // no hover effects in the picture
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  };
  const checkProblems = () => {
    const unexpected = problems.splice(0).filter((p) => {
      const at = expected.findIndex((e) => e.test(p));
      if (at < 0) return true;
      expected.splice(at, 1);
      return false;
    });
    expect(unexpected).toEqual([]);
    expect(
      requested.filter((url) => !url.startsWith(`${base}/`) && !url.startsWith("blob:")),
    ).toEqual([]);
  };
  /** Waits until at least `n` of the images drawn (decoded, with pixels). */
  const loaded = (images: Locator, n: number) =>
    waitFor(
      async () => {
        const drawn = await images.evaluateAll(
          (els) =>
            els.filter((e) => {
              const img = e as unknown as LoadedImage;
              return img.complete && img.naturalWidth > 0;
            }).length,
        );
        return drawn >= n ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `${n} images drawn` },
    );
  const go = async (hash: string) => {
    await page.goto(`${base}/${hash}`);
  };
  /** The text of the first body row of the cost table. */
  const costRow = () =>
    page
      .getByRole("table", { name: /Cost per day/ })
      .locator("tbody tr")
      .first();

  beforeAll(async () => {
    await ensureConsoleBuilt();
    service = await startService(dataDir);
    base = service.base;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(30_000);
    // Reported from inside the page, where the policy is enforced.
    await context.addInitScript(
      `document.addEventListener("securitypolicyviolation", (e) => console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
    );
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (r) => {
      // A request the console aborted on purpose (a stale preview, a page left) is not a fault.
      if (r.failure()?.errorText !== "net::ERR_ABORTED") {
        problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`);
      }
    });
    page.on("request", (r) => requested.push(r.url()));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (service?.child.exitCode === null) {
      service.child.kill("SIGTERM");
      await new Promise((done) => service.child.once("exit", done));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("refuses a bad key with the API's message, then signs in through the banner's link", async () => {
    await go("#/sign-in");
    await page.getByLabel("API key").fill("nb_not-a-real-key");
    expected.push(/401/);
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Sign in failed/);
    await page.getByLabel("API key").fill("");
    await shot("sign-in");

    await page.goto(service.signInLink);
    await page.getByRole("link", { name: "Create", exact: true }).waitFor();
    expect(page.url()).toBe(`${base}/#/create`);
    expect(page.url()).not.toContain(service.key);
    // The tab keeps the key for its session; a reload stays signed in.
    await page.reload();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(await page.getByRole("link", { name: "Operations" }).count()).toBe(1);
    checkProblems();
  });

  it("creates: shows the classification as you type, generates, and shows the image", async () => {
    await go("#/create");
    // Too long is said, not cut: what was pasted stays and Generate waits for a shorter one.
    await page.getByLabel("Prompt").fill("a".repeat(2001));
    await page.getByText("prompts are at most 2000 characters").waitFor();
    expect(await page.getByRole("button", { name: "Generate" }).isDisabled()).toBe(true);
    expect((await page.getByLabel("Prompt").inputValue()).length).toBe(2001);
    const prompt = "a red sneaker on white";
    await page.getByLabel("Prompt").fill(prompt);
    const classification = page.getByTestId("classification");
    await classification.getByText("products").first().waitFor();
    await page.getByTestId("brief").waitFor();
    expect(await page.getByTestId("brief").textContent()).toContain(prompt);

    await page.getByLabel("Quality").selectOption("premium");
    await page.getByRole("button", { name: "Generate" }).click();
    const image = page.getByRole("img", { name: `Generated: ${prompt}` });
    await image.waitFor();
    await loaded(image, 1);
    await page.getByRole("status").filter({ hasText: "Completed" }).waitFor();

    await page.getByRole("button", { name: "Thumbs up" }).click();
    await page.getByRole("button", { name: "Thumbs up", pressed: true }).waitFor();
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download" }).click();
    expect((await download).suggestedFilename()).toMatch(/^0001-a-red-sneaker-on-white\.png$/);
    await shot("create", page.getByRole("region", { name: prompt }));

    // The same request again in another tier: a new run, drawn as a draft.
    await page.getByLabel("Another tier").selectOption("draft");
    await page.getByRole("button", { name: "Again with another tier" }).click();
    await page.getByText(/^draft · 1:1 · 1K · png$/).waitFor();
    await page.getByRole("status").filter({ hasText: "Completed" }).waitFor();
    await loaded(page.getByRole("img", { name: `Generated: ${prompt}` }), 1);
    expect(await page.getByLabel("Quality").inputValue()).toBe("draft");

    // A reference image goes up as soon as it is chosen, and goes with the next request.
    const reference = await sharp({
      create: { width: 64, height: 48, channels: 3, background: "#d22" },
    })
      .png()
      .toBuffer();
    await page
      .getByLabel("Reference images")
      .setInputFiles({ name: "swatch.png", mimeType: "image/png", buffer: reference });
    await page.getByText("uploaded", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Generate" }).click();
    await page.getByRole("status").filter({ hasText: "Completed" }).waitFor();
    await loaded(page.getByRole("img", { name: `Generated: ${prompt}` }), 1);
    checkProblems();
  });

  it("runs a 20-item batch from a JSONL file: the grid fills in, a failure says why, 20/20", async () => {
    await go("#/batches");
    const items = Array.from({ length: 20 }, (_, i) =>
      i === 6
        ? // Refused at once by the reference fetcher: a failure with its code on the record.
          { prompt: "a 7-colour mug on a desk", images: ["https://127.0.0.1/nope.png"] }
        : i % 2
          ? { prompt: `flowchart of step ${i + 1} of the refund process` }
          : { prompt: `a ${i + 1}-colour mug on a desk`, quality: "draft" },
    );
    await page.getByLabel("Prompts file").setInputFiles({
      name: "catalogue.jsonl",
      mimeType: "application/x-ndjson",
      buffer: Buffer.from(items.map((item) => JSON.stringify(item)).join("\n")),
    });
    await page.getByText("catalogue.jsonl: 20 prompts").waitFor();
    await page.getByRole("button", { name: "Start batch" }).click();
    const progress = page.getByRole("progressbar", { name: "Batch progress" });
    await progress.waitFor();
    expect(await progress.getAttribute("aria-valuemax")).toBe("20");
    await page.locator('[role="progressbar"][aria-valuenow="20"]').waitFor({ timeout: 120_000 });
    await page.getByTestId("batch-progress").filter({ hasText: "20/20" }).waitFor();
    const grid = page.getByRole("list", { name: "Batch items" });
    await waitFor(
      async () => ((await grid.getByRole("listitem").count()) === 20 ? true : undefined),
      {
        what: "20 tiles",
      },
    );
    // Every drawn tile's thumbnail shows; the failed one says why.
    await loaded(grid.locator("img.thumb"), 19);
    const failed = grid.getByRole("listitem").filter({ hasText: "INVALID_REQUEST" });
    await failed.waitFor();
    expect(await failed.textContent()).toMatch(/7\. a 7-colour mug.*INVALID_REQUEST.*loopback/);
    await page.getByText("19 completed").waitFor();
    await page.getByText("1 failed").waitFor();

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download all" }).click();
    const zip = await download;
    expect(zip.suggestedFilename()).toMatch(/^nanobanana-bat_.*\.zip$/);
    const files = unzipSync(new Uint8Array(readFileSync(await zip.path())));
    expect(Object.keys(files)).toHaveLength(19);
    expect(Object.keys(files)[0]).toBe("0001-a-1-colour-mug-on-a-desk.png");
    await shot("batches", page.getByRole("region", { name: /^Batch bat_/ }));

    // The tab's last batch is there again when the page comes back.
    await go("#/create");
    await go("#/batches");
    await page.getByTestId("batch-progress").filter({ hasText: "20/20" }).waitFor();
    await loaded(grid.locator("img.thumb"), 19);
    checkProblems();
  }, 180_000);

  it("shows the history in the gallery and a record in full", async () => {
    await go("#/gallery");
    const grid = page.getByRole("list", { name: "Your images" });
    const tiles = grid.getByRole("listitem");
    await waitFor(async () => ((await tiles.count()) >= 21 ? true : undefined), {
      what: "21 images in the gallery",
      timeoutMs: 30_000,
    });
    await loaded(grid.locator("img.thumb"), 12);
    await shot("gallery");

    await page.getByLabel("Domain").selectOption("diagrams");
    await waitFor(
      async () => {
        const n = await tiles.count();
        const texts = await tiles.allTextContents();
        return n === 10 && texts.every((t) => t.includes("diagrams")) ? true : undefined;
      },
      { what: "the 10 diagrams", timeoutMs: 30_000 },
    );
    await page.getByLabel("Domain").selectOption("");

    await waitFor(async () => ((await tiles.count()) >= 21 ? true : undefined), {
      what: "all images again",
    });
    // The newest red sneaker went with a reference image.
    const sneakers = page.getByRole("link", { name: /a red sneaker on white/ });
    await sneakers.first().click();
    await page.getByRole("heading", { name: "a red sneaker on white", level: 1 }).waitFor();
    await page.getByRole("heading", { name: "Brief" }).waitFor();
    await page.getByRole("heading", { name: "Reference images" }).waitFor();
    // Back to the grid as it was, and the premium one, drawn first, liked.
    await page.getByRole("link", { name: "← Gallery" }).click();
    await sneakers.last().click();
    await page.getByRole("heading", { name: "a red sneaker on white", level: 1 }).waitFor();
    await page.getByRole("img", { name: "Generated: a red sneaker on white" }).waitFor();
    expect(await page.getByRole("button", { name: "Thumbs up" }).getAttribute("aria-pressed")).toBe(
      "true",
    );
    checkProblems();
  });

  it("keeps 1000 items light: a canceled batch's grid and the gallery's infinite scroll", async () => {
    await go("#/batches");
    const prompts = Array.from({ length: 1000 }, (_, i) => `a brass desk lamp, study ${i + 1}`);
    await page.getByLabel("Prompts", { exact: true }).fill(prompts.join("\n"));
    await page.getByRole("button", { name: "Start batch" }).click();
    await page.locator('[role="progressbar"][aria-valuemax="1000"]').waitFor();
    await page.getByRole("button", { name: "Cancel batch" }).click();
    // Canceled items count as finished: the batch ends at once, whatever was drawing.
    await page.locator('[role="progressbar"][aria-valuenow="1000"]').waitFor({ timeout: 60_000 });
    await page.getByText(/\d+ canceled/).waitFor();
    const tiles = page.getByRole("list", { name: "Batch items" }).getByRole("listitem");
    expect(await tiles.count()).toBeLessThan(120);
    await page.keyboard.press("End");
    await page.locator('li[aria-posinset="1000"]').waitFor();
    expect(await tiles.count()).toBeLessThan(120);

    await go("#/gallery");
    const grid = page.getByRole("list", { name: "Your images" }).getByRole("listitem");
    await grid.first().waitFor();
    // Scroll to the end until the history runs out: pages of 50 load as the end comes near.
    const footer = page.getByText(/^\d+ images$/);
    await waitFor(
      async () => {
        if (await footer.isVisible()) return true;
        await page.keyboard.press("End");
        return undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: "the whole history loaded" },
    );
    expect(Number((await footer.textContent())?.split(" ")[0])).toBeGreaterThanOrEqual(1021);
    expect(await grid.count()).toBeLessThan(120);

    // Diagrams are older than the 1000 canceled (unclassified) items: the first filtered page
    // the API answers is empty, and the gallery reads on to them.
    await go("#/gallery?domain=diagrams");
    const diagrams = page.getByRole("list", { name: "Your images" }).getByRole("listitem");
    await waitFor(async () => ((await diagrams.count()) >= 10 ? true : undefined), {
      what: "the diagrams behind 1000 newer items",
      timeoutMs: 30_000,
    });
    checkProblems();
  }, 180_000);

  it("shows today's spend on the cost page, in the chart and the table", async () => {
    await go("#/cost");
    await page.getByRole("heading", { name: "Cost", level: 1 }).waitFor();
    const row = costRow();
    await row.waitFor();
    const today = new Date().toISOString().slice(0, 10);
    // Today's row counts the images drawn so far (20 of the batch, the failed one is none, and
    // those of the create page), each at the sketch's $0.01 set in MODEL_PRICES.
    const cells = await waitFor(
      async () => {
        const texts = await row.locator("th, td").allTextContents();
        return texts[0] === today && Number(texts[1]) >= 20 ? texts : undefined;
      },
      { what: "today's images in the table", timeoutMs: 20_000 },
    );
    expect(cells[2]).toBe(`$${(Number(cells[1]) * 0.01).toFixed(2)}`);
    expect(await page.locator("canvas").count()).toBe(3);
    await page.getByRole("button", { name: "Month" }).click();
    await page.getByRole("table", { name: /Cost per month/ }).waitFor();
    await page.getByRole("button", { name: "Day" }).click();
    await page.getByRole("table", { name: /Cost per day/ }).waitFor();
    await shot("cost");
    checkProblems();
  });

  it("shows operations to an admin, makes a user key, and that user sees no Operations", async () => {
    await go("#/ops");
    await page.getByRole("heading", { name: "Operations", level: 1 }).waitFor();
    await page.getByRole("table", { name: "Queues now" }).waitFor();
    await page.getByRole("heading", { name: /A\/B results/ }).waitFor();
    await page.getByLabel("User id").fill("bob");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = page.getByTestId("new-key");
    await secret.waitFor();
    const bobKey = (await secret.textContent())?.trim() ?? "";
    expect(bobKey).toMatch(/^nb_/);
    await page.getByRole("cell", { name: "bob", exact: true }).waitFor();
    // On a phone the page fits its width (the keys table scrolls inside its own box).
    await page.setViewportSize({ width: 375, height: 812 });
    // Charts redraw at the new width when their ResizeObserver fires: wait for the page to settle.
    await waitFor(
      async () =>
        (await page.evaluate<number>("document.documentElement.scrollWidth")) <= 375
          ? true
          : undefined,
      { what: "the Operations page within a phone's width", timeoutMs: 10_000 },
    );
    await page.setViewportSize({ width: 1280, height: 800 });
    await shot("operations");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API key").fill(bobKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(await page.getByText("bob", { exact: true }).count()).toBeGreaterThan(0);
    expect(await page.getByRole("link", { name: "Operations" }).count()).toBe(0);
    await go("#/ops");
    await page.getByText("Operations needs an admin key").waitFor();
    checkProblems();
  });

  it("runs a batch at the economy tier: its items finish at half the price", async () => {
    await go("#/batches");
    await page
      .getByLabel("Prompts", { exact: true })
      .fill("a paper crane\na paper boat\na paper plane");
    await page.getByLabel("Tier").selectOption("economy");
    await page.getByRole("button", { name: "Start batch" }).click();
    await page.locator('[role="progressbar"][aria-valuenow="3"]').waitFor({ timeout: 60_000 });
    await page.getByText("3 completed").waitFor();
    await page.getByText("0 submitted").waitFor();
    await go("#/cost");
    // Bob's first images: three at the sketch's batch price of $0.005.
    const cells = await waitFor(
      async () => {
        const texts = await costRow().locator("th, td").allTextContents();
        return texts[1] === "3" ? texts : undefined;
      },
      { what: "bob's three economy images in the cost table", timeoutMs: 20_000 },
    );
    expect(cells[2]).toBe("$0.0150");
    checkProblems();
  });
});
