import type { GenerateRequest } from "@nanobanana/domain";
import { invalidRequest } from "@nanobanana/errors";
import type { Request } from "express";

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * `Cancel-After` (as Replicate names it): how long an economy image may take, as seconds
 * ("3600") or a duration ("1h30m", "45m", "90s"). Read as the request's `deadline` when its
 * body names none. Undefined without the header.
 */
export function deadlineFromCancelAfter(req: Request, now = Date.now()): string | undefined {
  const header = req.get("cancel-after")?.trim();
  if (header === undefined || header === "") return undefined;
  let seconds: number | undefined;
  if (/^\d+$/.test(header)) seconds = Number(header);
  else {
    const match = DURATION.exec(header);
    if (match && header !== "") {
      const [h = "0", m = "0", s = "0"] = match.slice(1).map((v) => v ?? "0");
      seconds = Number(h) * 3600 + Number(m) * 60 + Number(s);
    }
  }
  if (seconds === undefined || seconds <= 0) {
    throw invalidRequest(
      `Cancel-After must be seconds or a duration such as 1h30m, 45m or 90s; it is "${header.slice(0, 40)}"`,
    );
  }
  return new Date(now + seconds * 1000).toISOString();
}

/** An economy request with no deadline of its own takes Cancel-After's; others ignore it. */
export function withCancelAfter(
  request: GenerateRequest,
  deadline: string | undefined,
): GenerateRequest {
  return request.tier === "economy" && !request.deadline && deadline
    ? { ...request, deadline }
    : request;
}
