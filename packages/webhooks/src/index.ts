export { attemptDelivery, type DeliveryDeps, type DeliveryOutcome } from "./deliver.ts";
export { type PostResult, pinnedLookup, postWebhook } from "./post.ts";
export { nextRetryDelay } from "./schedule.ts";
export { newWebhookSecret, signWebhook, webhookHeaders } from "./signing.ts";
export {
  type CheckedTarget,
  checkTarget,
  checkWebhookTarget,
  isTargetRefusal,
  isWebhookRefusal,
  type Resolver,
  refusalFor,
  type TargetCheckOptions,
  type TargetPurpose,
  TargetRefused,
  WEBHOOK_DEFAULT_PORTS,
  WebhookTargetRefused,
} from "./ssrf.ts";
