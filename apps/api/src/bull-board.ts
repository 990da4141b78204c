import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import { hashApiKey } from "@nanobanana/domain";
import { unauthorized } from "@nanobanana/errors";
import type { Queue } from "bullmq";
import type { RequestHandler, Router } from "express";

export const BULL_BOARD_PATH = "/admin/queues";

/**
 * Bull Board for admins. A browser cannot send a Bearer header, so this path also takes an
 * admin key as the password of HTTP Basic auth (any user name); the browser asks for it.
 */
export function bullBoard(
  queues: Queue[],
  isAdminKey: (hash: string) => Promise<boolean>,
): { auth: RequestHandler; router: Router } {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  const auth: RequestHandler = async (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const bearer = header.match(/^Bearer\s+(\S+)$/i)?.[1];
    const basic = header.match(/^Basic\s+(\S+)$/i)?.[1];
    const key =
      bearer ??
      (basic ? Buffer.from(basic, "base64").toString().split(":").slice(1).join(":") : undefined);
    if (key && (await isAdminKey(hashApiKey(key)))) {
      next();
      return;
    }
    res.set("WWW-Authenticate", 'Basic realm="NanoBanana admin", charset="UTF-8"');
    next(
      unauthorized("Bull Board needs an admin key (as the Basic auth password, or a Bearer token)"),
    );
  };
  return { auth, router: adapter.getRouter() as Router };
}
