/**
 * `npm run keys -- create <userId> [--admin] | list | revoke <keyId>`: manages API keys in
 * the Store named by the configuration (REDIS_URL or STORE=firestore). Only hashes are kept;
 * a new key is printed once. Against a running `npm start`, use the admin endpoints instead
 * (POST/GET/DELETE /admin/keys with the local admin key).
 */
import { openAdapters } from "@nanobanana/composition";
import { newApiKeyRecord } from "@nanobanana/domain";
import { loadConfigOrExit } from "@nanobanana/entrypoint";
import { createLogger } from "@nanobanana/logger";

const [command, arg, flag] = process.argv.slice(2);
const usage = "usage: npm run keys -- create <userId> [--admin] | list | revoke <keyId>";
if (!(command === "list" || (command === "create" && arg) || (command === "revoke" && arg))) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
const config = loadConfigOrExit();
if (config.store === "redis" && !config.redisUrl) {
  process.stderr.write("REDIS_URL: required (the keys live in the store that the service uses)\n");
  process.exit(1);
}
// stdout carries the keys; the adapters' warnings (Redis unreachable) go to stderr.
const logger = createLogger({ service: "keys", level: "warn" }, process.stderr);
const { store, close } = openAdapters(config, logger, "script");
let code = 0;
if (command === "create" && arg && /^[A-Za-z0-9_.-]{1,64}$/.test(arg)) {
  const { key, record } = newApiKeyRecord(arg, flag === "--admin");
  await store.putApiKey(record);
  process.stdout.write(
    `key ${record.keyId} for ${record.userId}${record.admin ? " (admin)" : ""}; shown once, keep it:\n${key}\n`,
  );
} else if (command === "list") {
  for (const k of await store.listApiKeys()) {
    process.stdout.write(
      `${k.keyId}  ${k.userId}${k.admin ? " (admin)" : ""}  created ${k.createdAt}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ""}\n`,
    );
  }
} else if (command === "revoke" && arg) {
  const done = await store.revokeApiKey(arg, new Date().toISOString());
  process.stdout.write(done ? `revoked ${arg}\n` : `no key ${arg}\n`);
  code = done ? 0 : 1;
} else {
  process.stderr.write(`${usage}\n`);
  code = 2;
}
await close();
process.exit(code);
