export { coalesce } from "./coalesce.ts";
export { createFirestoreStore } from "./firestore-store.ts";
export { openStore, type StoreSettings } from "./open-store.ts";
export { moveKeys } from "./redis/move-keys.ts";
export { createRedisStore } from "./redis-store.ts";
export type {
  Acceptance,
  ApiKeyStore,
  CacheStore,
  CostTotals,
  DeliveryPatch,
  EconomyStore,
  Finish,
  GenerationPatch,
  GenerationState,
  GenerationStore,
  IdempotencyReservation,
  IdempotencyStore,
  LabelAnswer,
  LabelAnswerStore,
  Page,
  PreferenceStore,
  ProviderJobRecord,
  Store,
  StoredResponse,
  StoreOptions,
  TemplateStore,
  UpdateOptions,
  WebhookStore,
} from "./store.ts";
export { acceptanceIdOf } from "./store.ts";
