/**
 * @nanobanana/client: the NanoBanana API from TypeScript, in browsers and Node (fetch only).
 * Webhook verification is a separate entry: `@nanobanana/client/webhooks`.
 */
export {
  type BatchAcceptedResult,
  type BatchCreateOptions,
  type BatchEvent,
  type BatchOptions,
  type BatchResult,
  DEFAULT_BASE_URL,
  type DownloadedImage,
  type GenerateOptions,
  type GenerateResult,
  type GenerationEvent,
  type GenerationUpdate,
  type HistoryIterable,
  type HistoryOptions,
  NanoBanana,
  type NanoBananaOptions,
  type RequestOptions,
  type RunOptions,
  randomKey,
  type WaitOptions,
} from "./client.ts";
export {
  AbortedError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  type ErrorCode,
  GenerationFailedError,
  InvalidRequestError,
  NanoBananaError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  TimeoutError,
  type WaitAbortedError,
} from "./errors.ts";
export type { FetchLike } from "./http.ts";
export type { LiveOptions, LiveTransport } from "./live.ts";
export { EventStreamParser, readEventStream, type ServerSentEvent } from "./sse.ts";
export * from "./types.ts";
