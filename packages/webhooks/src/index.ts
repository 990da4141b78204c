export { attemptDelivery, type DeliveryDeps, type DeliveryOutcome } from "./deliver.ts";
export { type PostResult, postWebhook } from "./post.ts";
export { nextRetryDelay } from "./schedule.ts";
export { newWebhookSecret, signWebhook, webhookHeaders } from "./signing.ts";
export { type CheckedTarget, checkWebhookTarget, type Resolver, refusalFor } from "./ssrf.ts";
