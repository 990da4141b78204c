import {
  type Config,
  ConfigError,
  configuredModels,
  retiredModelMessage,
} from "@nanobanana/config";
import type { Logger } from "@nanobanana/logger";
import type { ImageProvider } from "@nanobanana/providers";

/**
 * At start, with real credentials: asks the maker for every model this deployment may draw
 * with. A model it does not know stops the start (GEMINI_MODEL_CHECK=fail, the default) or is
 * logged (warn), naming the model, its replacement when it is a retired one, and the setting.
 */
export async function checkConfiguredModels(
  config: Config,
  provider: ImageProvider,
  logger: Logger,
): Promise<void> {
  if (!config.gemini || config.gemini.modelCheck === "off" || !provider.checkModels) return;
  const configured = configuredModels({ ...config.gemini, routes: config.modelRoutes });
  const settingOf = new Map(configured.map((c) => [c.model, c.setting]));
  const problems = (await provider.checkModels(configured.map((c) => c.model)))
    .filter((check) => !check.ok)
    .map((check) => {
      const retired = retiredModelMessage(check.model);
      return `${settingOf.get(check.model)}: ${retired ?? `${check.model} is not available to these credentials`} (Google said: ${check.problem ?? "no reason"})`;
    });
  if (problems.length === 0) {
    logger.info({ models: [...settingOf.keys()] }, "every configured model is available");
    return;
  }
  if (config.gemini.modelCheck === "warn") {
    for (const problem of problems) logger.warn(problem);
    return;
  }
  throw new ConfigError([
    ...problems,
    "GEMINI_MODEL_CHECK: set it to warn to start anyway, or off to skip this check",
  ]);
}
