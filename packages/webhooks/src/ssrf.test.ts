import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { postWebhook } from "./post.ts";
import { checkWebhookTarget, isWebhookRefusal, refusalFor } from "./ssrf.ts";

describe("refusalFor", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "linkLocal"],
    ["100.64.0.1", "carrierGradeNat"],
    ["224.0.0.251", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "linkLocal"],
    ["fd12:3456::1", "uniqueLocal"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:a9fe:a9fe", "linkLocal"],
    ["64:ff9b::a9fe:a9fe", "linkLocal"],
    ["2002:7f00:0001::", "loopback"],
    // IPv4-compatible (deprecated ::/96): the URL parser writes [::127.0.0.1] as ::7f00:1.
    ["::7f00:1", "loopback"],
    ["::127.0.0.1", "loopback"],
    ["::a9fe:a9fe", "linkLocal"],
    ["::169.254.169.254", "linkLocal"],
    ["::a00:1", "private"],
  ])("refuses %s (%s)", (address, range) => {
    expect(refusalFor(address)).toMatch(range);
  });

  it.each(["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])(
    "allows public %s",
    (address) => {
      expect(refusalFor(address)).toBeNull();
    },
  );
});

describe("checkWebhookTarget", () => {
  const resolvesTo =
    (...addresses: string[]) =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

  it("refuses a host when any of its addresses is private", async () => {
    await expect(
      checkWebhookTarget("https://hooks.example.com/x", {
        allowPrivate: false,
        resolve: resolvesTo("93.184.215.14", "10.0.0.7"),
      }),
    ).rejects.toThrow(/hooks\.example\.com → 10\.0\.0\.7 is a private address/);
  });

  it("accepts a public host and returns the addresses it checked", async () => {
    const target = await checkWebhookTarget("https://hooks.example.com/x?y=1", {
      allowPrivate: false,
      resolve: resolvesTo("93.184.215.14"),
    });
    expect(target.addresses).toEqual([{ address: "93.184.215.14", family: 4 }]);
  });

  it("says so when a host does not resolve, as a retryable failure rather than a refusal", async () => {
    const fail = async () => {
      throw Object.assign(new Error("getaddrinfo EAI_AGAIN nowhere.invalid"), {
        code: "EAI_AGAIN",
      });
    };
    const error = await checkWebhookTarget("https://nowhere.invalid/", {
      allowPrivate: false,
      resolve: fail,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      message: "webhook url not checked: could not resolve nowhere.invalid (EAI_AGAIN)",
      code: "SERVICE_UNAVAILABLE",
      retryable: true,
    });
    expect(isWebhookRefusal(error)).toBe(false);
  });

  it.each([
    ["http://[::127.0.0.1]/x", /::7f00:1 is a loopback address/],
    ["http://[::a9fe:a9fe]/latest/meta-data", /::a9fe:a9fe is a linkLocal address/],
    ["http://[::ffff:a9fe:a9fe]/x", /linkLocal/],
    ["http://93.184.215.14:22/x", /port 22 is not allowed; allowed ports: 80, 443 \(WEBHOOK_PORTS/],
    ["https://hooks.example.com:6379/x", /port 6379 is not allowed; allowed ports: 80, 443 /],
    ["http://hooks.example.com:8080/x", /port 8080 is not allowed/],
    ["ftp://hooks.example.com/x", /only http and https/],
    ["http://user:pw@hooks.example.com/x", /credentials/],
  ])("refuses %s", async (url, message) => {
    const error = await checkWebhookTarget(url, {
      allowPrivate: false,
      resolve: resolvesTo("93.184.215.14"),
    }).catch((e: unknown) => e);
    expect(isWebhookRefusal(error)).toBe(true);
    expect((error as Error).message).toMatch(/^webhook url refused: /);
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ["http://hooks.example.com/x", []],
    ["https://hooks.example.com/x", []],
    ["http://hooks.example.com:443/x", []],
    ["https://hooks.example.com:80/x", []],
    ["https://hooks.example.com:8443/x", [8443]],
    ["http://[2606:4700:4700::1111]:9000/x", [8443, 9000]],
  ])("accepts %s with WEBHOOK_PORTS=%j", async (url, extraPorts) => {
    await expect(
      checkWebhookTarget(url, {
        allowPrivate: false,
        extraPorts,
        resolve: resolvesTo("93.184.215.14"),
      }),
    ).resolves.toMatchObject({ url: new URL(url) });
  });

  it("names the extra ports in a refusal", async () => {
    await expect(
      checkWebhookTarget("https://hooks.example.com:22/x", {
        allowPrivate: false,
        extraPorts: [8443],
        resolve: resolvesTo("93.184.215.14"),
      }),
    ).rejects.toThrow(
      "port 22 is not allowed; allowed ports: 80, 443, 8443 (WEBHOOK_PORTS adds more)",
    );
  });

  it("lets WEBHOOK_ALLOW_PRIVATE through for local testing, on any port", async () => {
    await expect(
      checkWebhookTarget("http://127.0.0.1:9/x", { allowPrivate: true }),
    ).resolves.toMatchObject({ addresses: [{ address: "127.0.0.1" }] });
    await expect(
      checkWebhookTarget("http://hooks.example.com:6379/x", {
        allowPrivate: true,
        resolve: resolvesTo("93.184.215.14"),
      }),
    ).resolves.toMatchObject({ addresses: [{ address: "93.184.215.14" }] });
  });
});

describe("postWebhook", () => {
  it("connects to the address that was checked, never re-resolving the name (no DNS rebinding)", async () => {
    const seen: Array<{ host: string | undefined; body: string }> = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ host: req.headers.host, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      // "receiver.invalid" cannot resolve in real DNS: the request only arrives if the pinned address is used.
      const target = await checkWebhookTarget(`http://receiver.invalid:${port}/hook`, {
        allowPrivate: true,
        resolve: async () => [{ address: "127.0.0.1", family: 4 }],
      });
      const result = await postWebhook(target, { "content-type": "application/json" }, '{"a":1}', {
        timeoutMs: 2_000,
      });
      expect(result).toMatchObject({ ok: true, statusCode: 204, error: null });
      expect(seen).toEqual([{ host: `receiver.invalid:${port}`, body: '{"a":1}' }]);
    } finally {
      server.close();
    }
  });

  it("does not follow redirects and gives up on a receiver that does not answer", async () => {
    const server = createServer((req, res) => {
      if (req.url === "/redirect")
        res.writeHead(302, { Location: "http://169.254.169.254/" }).end();
      // /hang never answers
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const at = (path: string) =>
        checkWebhookTarget(`http://127.0.0.1:${port}${path}`, { allowPrivate: true });
      expect(
        await postWebhook(await at("/redirect"), {}, "{}", { timeoutMs: 2_000 }),
      ).toMatchObject({
        ok: false,
        statusCode: 302,
        error: "redirect to http://169.254.169.254/ not followed",
      });
      expect(await postWebhook(await at("/hang"), {}, "{}", { timeoutMs: 200 })).toMatchObject({
        ok: false,
        statusCode: null,
        error: "no answer within 200 ms",
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
