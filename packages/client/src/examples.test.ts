import { newWebhookSecret, webhookHeaders } from "@nanobanana/webhooks";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createReceiver } from "../examples/express-webhook-receiver.ts";

describe("the Express receiver example", () => {
  it("handles a signed delivery once, and refuses a forged one", async () => {
    const secret = newWebhookSecret();
    const handled: string[] = [];
    const app = createReceiver(secret, (event, id) => handled.push(`${event.type} ${id}`));
    const body = JSON.stringify({
      type: "generation.completed",
      timestamp: new Date().toISOString(),
      data: { id: "gen_1", status: "completed" },
    });
    const headers = webhookHeaders(secret, "msg_1", body);
    for (let i = 0; i < 2; i++) {
      await request(app).post("/hooks/nanobanana").set(headers).send(body).expect(204);
    }
    expect(handled).toEqual(["generation.completed msg_1"]);
    const forged = webhookHeaders(newWebhookSecret(), "msg_2", body);
    const refused = await request(app).post("/hooks/nanobanana").set(forged).send(body);
    expect(refused.status).toBe(400);
    expect(handled).toHaveLength(1);
  });
});
