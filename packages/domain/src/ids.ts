import { randomFillSync } from "node:crypto";

// Crockford base32, lowercase: no i, l, o, u, so ids read back unambiguously.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** `value` (below 2^53) as `length` base32 digits, most significant first. */
function encode(value: number, length: number): string {
  let out = "";
  for (let i = length - 1; i >= 0; i--) out += ALPHABET[Math.floor(value / 32 ** i) % 32];
  return out;
}

// Random bytes drawn 4 KiB at a time: one call into the system's generator per 409 ids, not one
// per id (under load the per-id call was a visible part of accepting a request).
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function random40(): number {
  if (poolAt + 5 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const value = pool.readUIntBE(poolAt, 5);
  poolAt += 5;
  return value;
}

/**
 * A ULID-shaped id with a prefix: 10 characters of millisecond time, then 16 random (80 bits).
 * Ids sort by creation time, which is what lets history paginate by id alone.
 */
export function newId(
  prefix: "gen" | "bat" | "req" | "msg" | "upl",
  now: number = Date.now(),
): string {
  return `${prefix}_${encode(now, 10)}${encode(random40(), 8)}${encode(random40(), 8)}`;
}

/** The smallest id of `prefix` made at `ms`: ids of that millisecond and later sort at or after it. */
export function idFloor(prefix: "gen", ms: number): string {
  return `${prefix}_${encode(ms, 10)}`;
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
