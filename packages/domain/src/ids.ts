import { randomBytes } from "node:crypto";

// Crockford base32, lowercase: no i, l, o, u, so ids read back unambiguously.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function encode(value: bigint, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * A ULID-shaped id with a prefix: 10 characters of millisecond time, then 16 random.
 * Ids sort by creation time, which is what lets history paginate by id alone.
 */
export function newId(
  prefix: "gen" | "bat" | "req" | "msg" | "upl",
  now: number = Date.now(),
): string {
  const random = BigInt(`0x${randomBytes(10).toString("hex")}`);
  return `${prefix}_${encode(BigInt(now), 10)}${encode(random, 16)}`;
}

/** The smallest id of `prefix` made at `ms`: ids of that millisecond and later sort at or after it. */
export function idFloor(prefix: "gen", ms: number): string {
  return `${prefix}_${encode(BigInt(ms), 10)}`;
}

export const GENERATION_ID = /^gen_[0-9a-hjkmnp-tv-z]{26}$/;
/** An uploaded reference image (POST /uploads). */
export const UPLOAD_ID = /^upl_[0-9a-hjkmnp-tv-z]{26}$/;
export const USER_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export const BATCH_ID = /^bat_[0-9a-hjkmnp-tv-z]{26}$/;

export function isGenerationId(value: string): boolean {
  return GENERATION_ID.test(value);
}

export function isBatchId(value: string): boolean {
  return BATCH_ID.test(value);
}
