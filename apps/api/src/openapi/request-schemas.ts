import {
  aspectRatioSchema,
  customTemplateSchema,
  feedbackSchema,
  formatSchema,
  generateBodySchema,
  imageSizeSchema,
  MAX_PROMPT_CHARS,
  metadataSchema,
  preferencesSchema,
  promptSchema,
  qualitySchema,
  referenceSchema,
  UPLOAD_ID,
  WEBHOOK_EVENTS,
  webhookRequestSchema,
} from "@nanobanana/domain";
import { z } from "zod";

/**
 * Request bodies in the OpenAPI document are the zod schemas the routes validate with, converted
 * by z.toJSONSchema with these options, so the document cannot drift from what is enforced.
 *
 * - `io: "input"`: what a client sends (before defaults and transforms).
 * - `metadata`: descriptions, keyed by the very schema instances the domain exports; they add
 *   words, never constraints.
 * - `override`: the few checks zod cannot export (a preprocess and refinements). Each is written
 *   here by hand; openapi.int.test.ts checks on sample values that the document and zod agree.
 */
export const requestSchemaOptions = (): z.core.ToJSONSchemaParams => ({
  target: "draft-2020-12",
  io: "input",
  metadata: fieldDocs,
  override: ({ zodSchema, jsonSchema }) => {
    if (zodSchema === webhookRequestSchema && !jsonSchema.anyOf) {
      // A z.preprocess turns a plain URL into {url}; zod exports only the object form.
      const { description, ...object } = jsonSchema;
      for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
      Object.assign(jsonSchema, {
        ...(description ? { description } : {}),
        anyOf: [{ type: "string", description: "The URL alone: every event is sent." }, object],
      });
    } else if (zodSchema === referenceSchema) {
      jsonSchema.anyOf = [{ pattern: UPLOAD_ID.source }, { pattern: "^https://[^\\s]+$" }];
    } else if (zodSchema === metadataSchema) {
      jsonSchema.maxProperties = 20;
    } else if (zodSchema === customTemplateSchema.shape.lead) {
      jsonSchema.pattern = "\\{subject\\}";
    }
  },
});

/** A request body schema as the document shows it (without `$schema`: the document sets the dialect). */
export function requestJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, requestSchemaOptions());
  return json;
}

const fieldDocs = z.registry<{ description: string }>();
fieldDocs.add(promptSchema, {
  description: `What to draw, in your words: 1 to ${MAX_PROMPT_CHARS} characters once surrounding spaces are trimmed.`,
});
fieldDocs.add(qualitySchema, {
  description: "The tier of the brief written for the model (and of the model it is routed to).",
});
fieldDocs.add(aspectRatioSchema, {
  description: "Width to height; the model must draw it (GET /models).",
});
fieldDocs.add(imageSizeSchema, {
  description:
    "Output size by its long side: 512 px, about 1024 (`1K`), 2048 or 4096; the model must draw it (GET /models).",
});
fieldDocs.add(formatSchema, { description: "The image format of the result." });
fieldDocs.add(generateBodySchema.shape.model, {
  description:
    "A model GET /models lists; without one, your preference, else the deployment's routing table, chooses.",
});
fieldDocs.add(generateBodySchema.shape.images, {
  description:
    "Reference images the model draws from or edits; the model must take that many (GET /models).",
});
fieldDocs.add(referenceSchema, {
  description: "An upload id (`upl_…`, from POST /uploads) or an https URL.",
});
fieldDocs.add(metadataSchema, {
  description: "Up to 20 labels of your own, kept on the record as they are.",
});
fieldDocs.add(generateBodySchema.shape.cache, {
  description:
    "`false`: neither use nor fill the cache, always draw anew. Default `true`: an identical earlier request answers at no cost.",
});
fieldDocs.add(webhookRequestSchema, {
  description: `Where to POST events (Standard Webhooks, signed with your secret): a URL, or {url, events} with events among ${WEBHOOK_EVENTS.join(", ")} (default: all). Public http(s) addresses only.`,
});
fieldDocs.add(preferencesSchema.shape.model, {
  description: "The model your requests draw with when they name none.",
});
fieldDocs.add(preferencesSchema.shape.monthlyBudgetUsd, {
  description:
    "Your own monthly spending cap in USD; the lower of this and the deployment's applies.",
});
fieldDocs.add(feedbackSchema.shape.comment, {
  description: "Up to 1000 characters after trimming.",
});
fieldDocs.add(customTemplateSchema.shape.lead, {
  description:
    "The opening of the brief; `{subject}` is where the prompt goes, verbatim. Up to 300 characters.",
});
fieldDocs.add(customTemplateSchema.shape.clauses, {
  description: "1 to 20 clauses that follow the lead, each up to 300 characters.",
});
