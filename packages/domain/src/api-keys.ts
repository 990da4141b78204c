import { createHash, randomBytes } from "node:crypto";

/** A new API key: "nb_" and 32 random bytes. Shown once; only its hash is kept. */
export const newApiKey = () => `nb_${randomBytes(32).toString("base64url")}`;

export const hashApiKey = (key: string) => createHash("sha256").update(key).digest("hex");

/** A key's non-secret name: the first 12 hex of its hash. */
export const keyIdOf = (hash: string) => hash.slice(0, 12);
