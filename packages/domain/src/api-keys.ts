import { createHash, randomBytes } from "node:crypto";
import type { ApiKeyRecord } from "./generation.ts";

/** A new API key: "nb_" and 32 random bytes. Shown once; only its hash is kept. */
export const newApiKey = () => `nb_${randomBytes(32).toString("base64url")}`;

export const hashApiKey = (key: string) => createHash("sha256").update(key).digest("hex");

/** A key's non-secret name: the first 12 hex of its hash. */
export const keyIdOf = (hash: string) => hash.slice(0, 12);

/** A new key and the record kept of it: the key itself is shown once, only its hash is kept. */
export function newApiKeyRecord(
  userId: string,
  admin: boolean,
  now = new Date(),
): { key: string; record: ApiKeyRecord } {
  const key = newApiKey();
  const hash = hashApiKey(key);
  return {
    key,
    record: {
      keyId: keyIdOf(hash),
      hash,
      userId,
      admin,
      createdAt: now.toISOString(),
      revokedAt: null,
    },
  };
}
