/** JSON body limits, enforced in app.ts and stated in the OpenAPI document. */
export const MAX_BODY_BYTES = 256 * 1024;
// A batch of 1000 items with long prompts is a few MB; it gets its own, larger limit.
export const MAX_BATCH_BODY_BYTES = 8 * 1024 * 1024;
