import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { AppError } from "@nanobanana/errors";
import ipaddr from "ipaddr.js";

export interface CheckedTarget {
  url: URL;
  /** Addresses the host resolved to, all checked; connect to one of these, never re-resolve. */
  addresses: Array<{ address: string; family: 4 | 6 }>;
}

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const defaultResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Why an address may not receive webhooks, or null when it is a public unicast address.
 * Covers loopback, private, link-local (169.254/16: cloud metadata), CGNAT, multicast,
 * unspecified, broadcast, reserved, IPv6 ULA and link-local, and IPv4-mapped/-translated
 * IPv6 forms of all of those.
 */
export function refusalFor(address: string): string | null {
  if (!ipaddr.isValid(address)) return "not an IP address";
  let ip = ipaddr.parse(address);
  if (ip.kind() === "ipv6") {
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address();
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address: judge that one.
    else if (v6.range() === "rfc6052" || v6.range() === "6to4") {
      const parts = v6.toByteArray();
      const embedded = v6.range() === "6to4" ? parts.slice(2, 6) : parts.slice(12, 16);
      ip = ipaddr.fromByteArray(embedded);
    }
  }
  const range = ip.range();
  return range === "unicast" ? null : `${address} is a ${range} address`;
}

function refuse(message: string): never {
  throw new AppError("INVALID_REQUEST", `webhook url refused: ${message}`);
}

/**
 * Checks a webhook URL before a request is accepted and again before each delivery:
 * http(s) only, no credentials, and every address the host resolves to must be public.
 * `allowPrivate` (WEBHOOK_ALLOW_PRIVATE=1) lifts the address check for local testing.
 */
export async function checkWebhookTarget(
  raw: string,
  options: { allowPrivate: boolean; resolve?: Resolver },
): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse(`"${raw.slice(0, 100)}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    refuse(`only http and https are allowed, not ${url.protocol}`);
  if (url.username || url.password)
    refuse("credentials in the URL are not allowed; put a token in the path or query");
  // The URL parser has already turned 2130706433, 0x7f.1 and 017700000001 into 127.0.0.1.
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: Array<{ address: string; family: 4 | 6 }>;
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  } else {
    try {
      const found = await (options.resolve ?? defaultResolver)(host);
      addresses = found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
    } catch {
      return refuse(`could not resolve ${host}`);
    }
    if (addresses.length === 0) refuse(`${host} has no addresses`);
  }
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const why = refusalFor(address);
      if (why) refuse(`${host} → ${why}; webhooks go only to public addresses`);
    }
  }
  return { url, addresses };
}
