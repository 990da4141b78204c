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
 * unspecified, broadcast, reserved, IPv6 ULA and link-local, and the IPv6 forms that embed
 * an IPv4 address (mapped ::ffff:0:0/96, compatible ::/96, NAT64, 6to4): the embedded one
 * is judged.
 */
export function refusalFor(address: string): string | null {
  if (!ipaddr.isValid(address)) return "not an IP address";
  let ip = ipaddr.parse(address);
  if (ip.kind() === "ipv6") {
    const v6 = ip as ipaddr.IPv6;
    const bytes = v6.toByteArray();
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address();
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address: judge that one.
    else if (v6.range() === "rfc6052" || v6.range() === "6to4") {
      const embedded = v6.range() === "6to4" ? bytes.slice(2, 6) : bytes.slice(12, 16);
      ip = ipaddr.fromByteArray(embedded);
    }
    // IPv4-compatible (::a.b.c.d, the deprecated ::/96 form, e.g. [::127.0.0.1] which the URL
    // parser writes ::7f00:1): ipaddr.js calls it unicast, so judge the embedded address.
    // :: and ::1 are in that /96 too but keep their own IPv6 meaning.
    else if (
      v6.range() !== "unspecified" &&
      v6.range() !== "loopback" &&
      bytes.slice(0, 12).every((b) => b === 0)
    ) {
      ip = ipaddr.fromByteArray(bytes.slice(12, 16));
    }
  }
  const range = ip.range();
  return range === "unicast" ? null : `${address} is a ${range} address`;
}

/** Ports a webhook URL may always name; WEBHOOK_PORTS adds more. */
export const WEBHOOK_DEFAULT_PORTS: readonly number[] = [80, 443];

/**
 * What the guard throws when a target is refused (scheme, credentials, address, port): no
 * later attempt can succeed, so whatever wanted to reach it fails at once.
 */
export class TargetRefused extends AppError {
  constructor(what: string, message: string) {
    super("INVALID_REQUEST", `${what} refused: ${message}`);
  }
}

/** A webhook URL the guard refused: a delivery to it is dead at once. */
export class WebhookTargetRefused extends TargetRefused {
  constructor(message: string) {
    super("webhook url", message);
  }
}

/** True for a refusal by the guard, whatever it guarded; false for anything else (DNS failures included). */
export function isTargetRefusal(error: unknown): error is TargetRefused {
  return error instanceof TargetRefused;
}

/** True for a refusal of a webhook URL by the guard; false for anything else (DNS failures included). */
export function isWebhookRefusal(error: unknown): error is WebhookTargetRefused {
  return error instanceof WebhookTargetRefused;
}

/**
 * What the guard is checking a URL for, as its messages say it: the guard is the same for
 * every outgoing request the service makes on a caller's word (webhooks, reference images).
 */
export interface TargetPurpose {
  /** Names the URL in messages: "webhook url", "reference image url". */
  what: string;
  /** Why a private address is refused: "webhooks go only to public addresses". */
  publicOnly: string;
  /** Where more ports come from, if anywhere: "WEBHOOK_PORTS adds more". */
  portsHint?: string;
  /** Builds the refusal; webhooks throw WebhookTargetRefused so delivery can tell it apart. */
  refused?: (message: string) => TargetRefused;
}

const WEBHOOK_PURPOSE: TargetPurpose = {
  what: "webhook url",
  publicOnly: "webhooks go only to public addresses",
  portsHint: "WEBHOOK_PORTS adds more",
  refused: (message) => new WebhookTargetRefused(message),
};

/**
 * The host could not be resolved now (EAI_AGAIN, ENOTFOUND, a timeout, SERVFAIL…): not a
 * verdict on the target, so a delivery retries on its schedule.
 */
function unresolved(what: string, host: string, cause: unknown): AppError {
  const code = (cause as { code?: unknown } | null)?.code;
  const why =
    typeof code === "string" ? code : cause instanceof Error ? cause.message : String(cause);
  const message = `${what} not checked: could not resolve ${host} (${why})`;
  return new AppError("SERVICE_UNAVAILABLE", message, { retryable: true, cause });
}

/**
 * Checks a webhook URL before a request is accepted and again before each delivery:
 * http(s) only, no credentials, port 80 or 443 (or one of `extraPorts`, WEBHOOK_PORTS), and
 * every address the host resolves to must be public. A refusal throws WebhookTargetRefused;
 * a host that cannot be resolved now throws a retryable SERVICE_UNAVAILABLE AppError.
 * `allowPrivate` (WEBHOOK_ALLOW_PRIVATE=1) lifts the address and port checks for local testing.
 */
export function checkWebhookTarget(
  raw: string,
  options: TargetCheckOptions,
): Promise<CheckedTarget> {
  return checkTarget(raw, options, WEBHOOK_PURPOSE);
}

export interface TargetCheckOptions {
  allowPrivate: boolean;
  resolve?: Resolver;
  extraPorts?: readonly number[];
}

/**
 * The guard itself, for any outgoing request made on a caller's word: checkWebhookTarget's
 * rules (http(s), no credentials, ports, public addresses only unless `allowPrivate`), with
 * messages that name `purpose`. A refusal throws `purpose.refused` (a TargetRefused); a host
 * that cannot be resolved now throws a retryable SERVICE_UNAVAILABLE AppError. Connect only
 * to the returned addresses (pinnedLookup), never re-resolve.
 */
export async function checkTarget(
  raw: string,
  options: TargetCheckOptions,
  purpose: TargetPurpose,
): Promise<CheckedTarget> {
  const refuse = (message: string): never => {
    throw purpose.refused?.(message) ?? new TargetRefused(purpose.what, message);
  };
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
  const checkAddresses = (addresses: ReadonlyArray<{ address: string }>) => {
    if (options.allowPrivate) return;
    for (const { address } of addresses) {
      const why = refusalFor(address);
      if (why) refuse(`${host} → ${why}; ${purpose.publicOnly}`);
    }
  };
  // A literal address is judged before the port (it needs no lookup), a name after it.
  const literal = isIP(host);
  if (literal) checkAddresses([{ address: host }]);
  if (!options.allowPrivate) {
    // "" is the scheme's default port (the parser drops an explicit :80 on http, :443 on https).
    const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    const allowed = [...new Set([...WEBHOOK_DEFAULT_PORTS, ...(options.extraPorts ?? [])])];
    if (!allowed.includes(port))
      refuse(
        `port ${port} is not allowed; allowed ports: ${allowed.join(", ")}${purpose.portsHint ? ` (${purpose.portsHint})` : ""}`,
      );
  }
  if (literal) return { url, addresses: [{ address: host, family: literal === 6 ? 6 : 4 }] };

  let addresses: Array<{ address: string; family: 4 | 6 }>;
  try {
    const found = await (options.resolve ?? defaultResolver)(host);
    addresses = found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } catch (error) {
    throw unresolved(purpose.what, host, error);
  }
  if (addresses.length === 0) throw unresolved(purpose.what, host, new Error("no addresses"));
  checkAddresses(addresses);
  return { url, addresses };
}
