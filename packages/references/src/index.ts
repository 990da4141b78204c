export type { Resolver } from "@nanobanana/webhooks";
export {
  type FetchedBody,
  type FetchLimits,
  type FetchOptions,
  fetchReference,
} from "./fetch-url.ts";
export { REFERENCE_LIMITS } from "./limits.ts";
export { type LoadDeps, type LoadedReference, loadReferences } from "./load.ts";
export { sniffImage } from "./sniff.ts";
export { readUpload, saveUpload, type UploadInfo, uploadKeyFor } from "./uploads.ts";
