/**
 * A second yardstick, as a process of its own: Express plus the Redis work one accepted
 * generation needs at the least, done the plain way (a counter, a read, one MULTI for the
 * record and its marker, a BullMQ add, the marker's removal: five round trips a request), with
 * none of the service's middleware. `npx tsx bench/floor-server.ts REDIS_URL`; listens on a
 * free port and prints `{"port":N}`.
 */
import { Queue } from "bullmq";
import express from "express";
import { Redis } from "ioredis";

const redis = new Redis(String(process.argv[2]));
const queue = new Queue("floor", { connection: redis, prefix: "bench-floor" });
const app = express();
let n = 0;
app.post("/generate", express.json(), async (req, res) => {
  const id = `gen_${Date.now()}_${n++}`;
  const prompt = String((req.body as { prompt?: string }).prompt);
  await redis.incr("bench-floor:rl");
  await redis.get("bench-floor:prefs");
  await redis
    .multi()
    .hset(`bench-floor:gen:${id}`, "prompt", prompt, "status", "queued")
    .zadd("bench-floor:pending", Date.now(), id)
    .exec();
  await queue.add("generate", { generationId: id }, { jobId: id, removeOnComplete: true });
  await redis.zrem("bench-floor:pending", id);
  res.status(202).json({ id, status: "queued" });
});
const server = app.listen(0, () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 })}\n`,
  );
});
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
