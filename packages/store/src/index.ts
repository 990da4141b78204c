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
