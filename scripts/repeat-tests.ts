/**
 * npm run test:repeat -- [runs=10] [vitest args…]: runs the integration project again and again
 * and stops at the first failure, so a test that fails now and then shows itself here rather
 * than in CI. Each run's result and time are printed; exit 1 names the run that failed.
 */
import { spawnSync } from "node:child_process";

const [first, ...rest] = process.argv.slice(2);
const runs = first && /^\d+$/.test(first) ? Number(first) : 10;
const extra = first && /^\d+$/.test(first) ? rest : process.argv.slice(2);

for (let run = 1; run <= runs; run++) {
  const started = Date.now();
  const result = spawnSync("npx", ["vitest", "run", "--project", "integration", ...extra], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CI: process.env.CI ?? "true" },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stderr.write(`run ${run}/${runs} FAILED after ${seconds} s; rerun it with output:\n`);
    process.stderr.write(`  npx vitest run --project integration ${extra.join(" ")}\n`);
    process.exit(1);
  }
  process.stdout.write(`run ${run}/${runs} passed in ${seconds} s\n`);
}
process.stdout.write(`all ${runs} runs passed\n`);
