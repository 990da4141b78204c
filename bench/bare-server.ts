/**
 * The bench's yardstick, as a process of its own: a bare Express JSON handler shaped like
 * POST /generate (parse the JSON body, answer 202 with a small JSON body), nothing else.
 * Listens on a free port and prints `{"port":N}` once listening.
 */
import express from "express";

const app = express();
app.post("/generate", express.json(), (req, res) => {
  res
    .status(202)
    .json({ id: "gen_x", status: "queued", prompt: (req.body as { prompt?: string }).prompt });
});
// Listening as the API does (all interfaces), so the two differ only in what they run.
const server = app.listen(0, () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 })}\n`,
  );
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
