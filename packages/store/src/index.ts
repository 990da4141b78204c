export { createFirestoreStore } from "./firestore-store.ts";
export { openStore, type StoreSettings } from "./open-store.ts";
export { createRedisStore } from "./redis-store.ts";
export type {
  Acceptance,
  CostTotals,
  DeliveryPatch,
  Finish,
  GenerationPatch,
  IdempotencyReservation,
  Page,
  Store,
  StoredResponse,
  StoreOptions,
  UpdateOptions,
} from "./store.ts";
