import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, webhookHeaders } from "./signing.ts";

describe("webhookHeaders", () => {
  const body = '{"type":"generation.completed"}';

  it("signs with one secret the way the standardwebhooks package verifies", () => {
    const secret = newWebhookSecret();
    const headers = webhookHeaders(secret, "msg_1", body);
    expect(String(headers["webhook-signature"])).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("carries one space-separated signature per secret, each verifiable on its own", () => {
    const [current, previous, stranger] = [
      newWebhookSecret(),
      newWebhookSecret(),
      newWebhookSecret(),
    ];
    const now = Date.now();
    const headers = webhookHeaders([current, previous], "msg_2", body, now);
    expect(String(headers["webhook-signature"]).split(" ")).toEqual([
      expect.stringMatching(/^v1,/),
      expect.stringMatching(/^v1,/),
    ]);
    expect(webhookHeaders(current, "msg_2", body, now)["webhook-signature"] ?? "").toBe(
      String(headers["webhook-signature"]).split(" ")[0],
    );
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow();
  });

  it("refuses to sign with no secret", () => {
    expect(() => webhookHeaders([], "msg_3", body)).toThrow(/no secret/);
  });
});
