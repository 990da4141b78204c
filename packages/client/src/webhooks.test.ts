import { newWebhookSecret, webhookHeaders } from "@nanobanana/webhooks";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { verifyWebhook, WebhookVerificationError } from "./webhooks.ts";

const body = JSON.stringify({
  type: "generation.completed",
  timestamp: new Date().toISOString(),
  data: { id: "gen_1", status: "completed" },
});

describe("verifyWebhook", () => {
  it("accepts a delivery signed by the service's own signer", () => {
    const secret = newWebhookSecret();
    const headers = webhookHeaders(secret, "msg_0123456789abcdef0123456789", body);
    const event = verifyWebhook(headers, body, secret);
    expect(event.type).toBe("generation.completed");
    expect(event.data.id).toBe("gen_1");
  });

  it("accepts a delivery signed with standardwebhooks' Webhook.sign", () => {
    const secret = newWebhookSecret();
    const now = new Date();
    const headers = {
      "webhook-id": "msg_1",
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign("msg_1", now, body),
    };
    expect(verifyWebhook(headers, body, secret).type).toBe("generation.completed");
    // The same delivery as a fetch Headers and as bytes.
    const bytes = new TextEncoder().encode(body);
    expect(verifyWebhook(new Headers(headers), bytes, secret).type).toBe("generation.completed");
    expect(verifyWebhook(headers, Buffer.from(body), secret).type).toBe("generation.completed");
  });

  it("during a rotation, either secret verifies the doubly signed delivery", () => {
    const [fresh, old] = [newWebhookSecret(), newWebhookSecret()];
    const headers = webhookHeaders([fresh, old], "msg_2", body);
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(verifyWebhook(headers, body, fresh).type).toBe("generation.completed");
    expect(verifyWebhook(headers, body, old).type).toBe("generation.completed");
    // A receiver that holds both secrets (it switched over) takes a delivery signed with one.
    const onlyOld = webhookHeaders(old, "msg_3", body);
    expect(verifyWebhook(onlyOld, body, [fresh, old]).type).toBe("generation.completed");
  });

  it("takes Node's header shape: any case, a repeated header as an array", () => {
    const secret = newWebhookSecret();
    const signed = webhookHeaders(secret, "msg_4", body);
    const incoming = {
      "Webhook-Id": signed["webhook-id"],
      "WEBHOOK-TIMESTAMP": signed["webhook-timestamp"],
      "webhook-signature": ["v1,bm90IGl0", signed["webhook-signature"] as string],
    };
    expect(verifyWebhook(incoming, body, secret).type).toBe("generation.completed");
  });

  it("refuses a changed body, another secret, missing headers and an old timestamp", () => {
    const secret = newWebhookSecret();
    const headers = webhookHeaders(secret, "msg_5", body);
    expect(() => verifyWebhook(headers, body.replace("gen_1", "gen_2"), secret)).toThrow(
      WebhookVerificationError,
    );
    expect(() => verifyWebhook(headers, body, newWebhookSecret())).toThrow(
      WebhookVerificationError,
    );
    expect(() => verifyWebhook({ "webhook-id": "msg_5" }, body, secret)).toThrow(
      /Missing required headers/,
    );
    const old = webhookHeaders(secret, "msg_6", body, Date.now() - 10 * 60_000);
    expect(() => verifyWebhook(old, body, secret)).toThrow(/too old/);
    expect(() => verifyWebhook(headers, body, [])).toThrow(WebhookVerificationError);
  });
});
