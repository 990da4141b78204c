export { createFirestoreStore } from "./firestore-store.ts";
export { openStore, type StoreSettings } from "./open-store.ts";
export { createRedisStore } from "./redis-store.ts";
export type {
  Acceptance,
  ApiKeyStore,
  CacheStore,
  CostTotals,
  DeliveryPatch,
  Finish,
  GenerationPatch,
  GenerationStore,
  IdempotencyReservation,
  IdempotencyStore,
  Page,
  PreferenceStore,
  Store,
  StoredResponse,
  StoreOptions,
  TemplateStore,
  UpdateOptions,
  WebhookStore,
} from "./store.ts";
