export { failAbandoned } from "./abandon.ts";
export {
  type AcceptDeps,
  acceptGenerations,
  createAcceptor,
  enqueueGenerations,
} from "./accept.ts";
export {
  type AttemptDeps,
  type AttemptOutcome,
  recordAttemptFailure,
  runGenerationAttempt,
} from "./attempt.ts";
export { allFinished, type CancelDeps, cancelQueued, settleBatches } from "./cancel.ts";
export { type CheckDeps, checkRequests } from "./check-requests.ts";
export { type EconomyDeps, type EconomySettings, economyLifecycle } from "./economy.ts";
export { findHistory, HISTORY_SCAN_LIMIT, type HistoryQuery } from "./history.ts";
export {
  announceChanges,
  type ChangeFeed,
  type NotifyDeps,
  notifyBatchCompleted,
  notifyFinished,
} from "./notify.ts";
export type {
  CompletedPatch,
  DrawAttempt,
  DrawGeneration,
  Drawing,
  EconomyDeferral,
  EconomyDrawer,
  EconomyItemResult,
  EconomyJobState,
  EconomyScheduler,
} from "./ports.ts";
export { type PreparationLine, preparationLine } from "./preparation-line.ts";
export { type SweepDeps, type SweepReport, sweep } from "./sweep.ts";
export {
  createWebhookDispatcher,
  deliveryIdFor,
  deliveryJobId,
  type WebhookDispatcher,
} from "./webhook-dispatcher.ts";
