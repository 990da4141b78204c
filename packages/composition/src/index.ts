export { checkConfiguredModels } from "./models.ts";
export {
  type AdaptersFor,
  type ApiAdapters,
  createImageProvider,
  openAdapters,
  publicBaseUrl,
  type Role,
  type ScriptAdapters,
  type WorkerAdapters,
} from "./open-adapters.ts";
