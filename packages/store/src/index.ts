export { createFirestoreStore } from "./firestore-store.ts";
export { openStore, type StoreSettings } from "./open-store.ts";
export { createRedisStore } from "./redis-store.ts";
export type {
  DeliveryPatch,
  GenerationPatch,
  IdempotencyReservation,
  Page,
  Store,
  StoredResponse,
  UpdateOptions,
} from "./store.ts";
