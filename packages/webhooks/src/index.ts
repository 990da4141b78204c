export { attemptDelivery, type DeliveryDeps, type DeliveryOutcome } from "./deliver.ts";
export { type PostResult, postWebhook } from "./post.ts";
export { nextRetryDelay } from "./schedule.ts";
export { newWebhookSecret, signWebhook, webhookHeaders } from "./signing.ts";
export {
  type CheckedTarget,
  checkWebhookTarget,
  isWebhookRefusal,
  type Resolver,
  refusalFor,
  WEBHOOK_DEFAULT_PORTS,
  WebhookTargetRefused,
} from "./ssrf.ts";
