import { type Config, ConfigError, retiredModelMessage } from "@nanobanana/config";
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
  const configured = [
    ...new Set([
      config.gemini.model,
      config.gemini.premiumModel,
      ...config.modelRoutes.map((r) => r.model),
    ]),
  ];
  const problems = (await provider.checkModels(configured))
    .filter((check) => !check.ok)
    .map((check) => {
      const retired = retiredModelMessage(check.model);
      const setting =
        check.model === config.gemini?.model
          ? "GEMINI_MODEL"
          : check.model === config.gemini?.premiumModel
            ? "GEMINI_PREMIUM_MODEL"
            : "MODEL_ROUTES";
      return `${setting}: ${retired ?? `${check.model} is not available to these credentials`} (Google said: ${check.problem ?? "no reason"})`;
    });
  if (problems.length === 0) {
    logger.info({ models: configured }, "every configured model is available");
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
