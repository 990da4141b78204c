import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@nanobanana/config";
import { createLogger } from "@nanobanana/logger";
import { freePort, testRedisUrl, uniquePrefix } from "@nanobanana/testing";
import { describe, expect, it } from "vitest";
import { startApi } from "./server.ts";

const logger = createLogger({ service: "test", level: "silent" });
const KEY = "start-test-key-1";

describe("startApi", () => {
  it("counts the very first requests against the rate limit (it listens once Redis is ready)", async () => {
    const port = await freePort();
    const api = await startApi(
      loadConfig({
        REDIS_URL: testRedisUrl(),
        KEY_PREFIX: uniquePrefix("start"),
        DATA_DIR: mkdtempSync(join(tmpdir(), "nb-start-")),
        API_KEYS: `${KEY}:ana`,
        PORT: String(port),
        RATE_LIMIT: "1",
      }),
      logger,
    );
    try {
      const classify = () =>
        fetch(`http://127.0.0.1:${port}/classify`, {
          method: "POST",
          headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
          body: JSON.stringify({ prompt: "a cat on a windowsill" }),
        });
      const first = await classify();
      expect(first.status).toBe(200);
      expect(first.headers.get("ratelimit-remaining")).toBe("0");
      expect((await classify()).status).toBe(429);
    } finally {
      await api.close();
    }
  });
});
