import { AppError } from "@nanobanana/errors";
import type {
  GenerateOptions,
  ImageProvider,
  ImageRequest,
  ImageResult,
  ModelCheck,
} from "../image-provider.ts";
import { type BreakerState, CircuitBreaker } from "./circuit-breaker.ts";

/** One maker in the order PROVIDER names them, with what it can draw. */
export interface Maker {
  provider: ImageProvider;
  /** Why this maker cannot draw the request (size, references…), or null when it can. */
  cannotDraw?: (request: ImageRequest, model: string) => string | null;
}

export interface FallbackOptions {
  breaker: { failures: number; openMs: number };
  now?: () => number;
  onBreakerChange?: (maker: string, state: BreakerState, reason: string) => void;
}

/** What every maker's breaker says, for metrics and GET /health. */
export interface MakerStates {
  breakers(): Array<{ maker: string; state: BreakerState }>;
}

const callsOf = (error: unknown) =>
  Number(((error as AppError).details as { calls?: number } | undefined)?.calls ?? 0);

/**
 * Several makers behind one ImageProvider, in order: a request goes to the first that can
 * draw it and whose circuit is not open; when that maker fails for a reason another maker
 * would not share (an outage, a rate limit, a bad key), the next one draws, and the result
 * says which drew and why. A safety refusal ends there: a more permissive maker is not asked.
 * A model the caller named is drawn by its own maker only.
 */
export function createFallbackProvider(
  makers: readonly Maker[],
  options: FallbackOptions,
): ImageProvider & MakerStates {
  const first = makers[0];
  if (!first) throw new Error("createFallbackProvider needs at least one maker");
  const breakers = new Map(
    makers.map((m) => [
      m.provider.name,
      new CircuitBreaker({
        ...options.breaker,
        ...(options.now ? { now: options.now } : {}),
        onChange: (state, reason) => options.onBreakerChange?.(m.provider.name, state, reason),
      }),
    ]),
  );
  const ownerOf = (model: string | undefined) =>
    model === undefined ? undefined : makers.find((m) => m.provider.models.includes(model));

  return {
    name: makers.map((m) => m.provider.name).join(","),
    models: makers.flatMap((m) => m.provider.models),
    defaultModel: first.provider.defaultModel,
    // Batch Mode is the first maker's (Gemini's): the economy tier waits for one maker's job.
    ...(first.provider.batch ? { batch: first.provider.batch } : {}),
    async checkModels(models): Promise<ModelCheck[]> {
      const checks: ModelCheck[] = [];
      for (const maker of makers) {
        const own = models.filter((m) => maker.provider.models.includes(m));
        if (own.length > 0 && maker.provider.checkModels) {
          checks.push(...(await maker.provider.checkModels(own)));
        }
      }
      return checks;
    },
    breakers: () =>
      makers.map((m) => ({
        maker: m.provider.name,
        state: breakers.get(m.provider.name)?.current() ?? "closed",
      })),

    async generate(request: ImageRequest, generateOptions: GenerateOptions = {}) {
      const owner = ownerOf(request.model);
      // The chosen model's maker first, then the others in PROVIDER's order; a model the
      // caller named is drawn by its maker or not at all.
      const order =
        request.modelChoice === "requested" && owner
          ? [owner]
          : owner
            ? [owner, ...makers.filter((m) => m !== owner)]
            : [...makers];
      const passedOver: string[] = [];
      let spent = 0;
      let lastError: unknown;
      let circuitOpen = false;
      // Each maker with the model it would draw and why it could not, asked once.
      const candidates = order.map((maker) => {
        const model =
          maker === owner && request.model ? request.model : maker.provider.defaultModel;
        return { maker, model, unable: maker.cannotDraw?.(request, model) ?? null };
      });
      const able = candidates.filter((c) => c.unable === null);
      for (const candidate of candidates) {
        const { maker, model, unable } = candidate;
        const name = maker.provider.name;
        if (unable) {
          passedOver.push(`${name} cannot draw it (${unable})`);
          continue;
        }
        // A call is kept for each maker after this one that could draw it: a maker that is down
        // and retries must not spend the whole budget the next one needs.
        const after = able.length - 1 - able.indexOf(candidate);
        const left =
          generateOptions.maxCalls === undefined
            ? undefined
            : Math.max(
                Math.min(1, generateOptions.maxCalls - spent),
                generateOptions.maxCalls - spent - after,
              );
        if (left !== undefined && left < 1) break;
        const breaker = breakers.get(name) as CircuitBreaker;
        if (!breaker.tryAcquire()) {
          circuitOpen = true;
          passedOver.push(
            `${name}'s circuit is open (${Math.ceil(breaker.msUntilTrial() / 1000)} s until it tries again)`,
          );
          continue;
        }
        try {
          const result = await maker.provider.generate(
            { ...request, model },
            { ...generateOptions, ...(left !== undefined ? { maxCalls: left } : {}) },
          );
          breaker.success();
          return {
            ...result,
            calls: result.calls + spent,
            ...(passedOver.length > 0 ? { fallbackReason: passedOver.join("; ") } : {}),
          } satisfies ImageResult;
        } catch (error) {
          generateOptions.signal?.throwIfAborted();
          spent += callsOf(error);
          const code = error instanceof AppError ? error.code : "PROVIDER_ERROR";
          // A refusal (or a budget the user set) is the request's, not the maker's: it is final,
          // and says nothing of the maker's health.
          if (code === "SAFETY_BLOCKED" || code === "BUDGET_EXCEEDED") {
            breaker.success();
            throw error;
          }
          if (code === "INVALID_REQUEST") {
            breaker.success();
            passedOver.push(`${name} refused the request (${(error as Error).message})`);
          } else {
            breaker.failure((error as Error).message);
            passedOver.push(`${name} failed (${(error as Error).message})`);
          }
          lastError ??= error;
        }
      }
      if (lastError instanceof AppError) {
        throw new AppError(lastError.code, `no maker drew it: ${passedOver.join("; ")}`, {
          retryable: lastError.retryable || circuitOpen,
          details: { ...(lastError.details as object), calls: spent },
        });
      }
      // Every circuit open, or no maker able: a later attempt may find one closed.
      throw new AppError("PROVIDER_ERROR", `no maker could draw it now: ${passedOver.join("; ")}`, {
        retryable: circuitOpen,
        details: { calls: spent },
      });
    },
  };
}
