import { defineConfig } from "vitest/config";

const sources = ["packages/*/src/**", "apps/*/src/**"];

// Two projects: fast unit tests beside the source, and integration tests (*.int.test.ts,
// *.e2e.test.ts) that run against a real redis-server started once by the global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [...sources.map((s) => `${s}/*.test.ts`), "bench/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/*.e2e.test.ts", "**/node_modules/**"],
        },
      },
      {
        test: {
          name: "integration",
          include: sources.flatMap((s) => [`${s}/*.int.test.ts`, `${s}/*.e2e.test.ts`]),
          globalSetup: ["packages/testing/src/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
