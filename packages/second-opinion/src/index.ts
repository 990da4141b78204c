export {
  type CheckedAnswer,
  checkAnswer,
  costOf,
  labelAnswerKey,
  normalizePrompt,
  type TokenPrice,
  type TokenUsage,
} from "./answer.ts";
export { MAX_OUTPUT_TOKENS, RESPONSE_SCHEMA, SYSTEM_INSTRUCTION } from "./request.ts";
export {
  createSecondOpinion,
  type DecideOptions,
  type LocalLabel,
  localVerdict,
  type SecondOpinion,
  type SecondOpinionOptions,
  type Verdict,
} from "./second-opinion.ts";
