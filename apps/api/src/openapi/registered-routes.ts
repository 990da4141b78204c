import type { Express } from "express";

/** A route as the OpenAPI document names it: lower-case method, `{param}` for `:param`. */
export interface RegisteredRoute {
  method: string;
  path: string;
}

/** What is registered on an Express 5 app: its routes, and what is mounted at a path. */
export interface RegisteredHandlers {
  routes: RegisteredRoute[];
  /**
   * Middleware and sub-apps mounted at a path other than "/" (body parsers for one route, Bull
   * Board): whatever they answer, the walk cannot see inside them.
   */
  mounts: Array<{ path: string; name: string }>;
}

// The parts of Express 5's router (the `router` package, 2.x) this reads.
interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: Layer[]; name?: string };
  name: string;
  rawPath?: unknown;
  slash?: boolean;
}

/**
 * Walks `app.router.stack`, and the stack of every Router mounted on it, into method × path.
 * Anything it cannot read exactly (a RegExp or array path, `router.all`, a router version
 * without `rawPath`) throws, so a change in Express breaks the test that uses it loudly
 * instead of letting routes slip by unseen.
 */
export function registeredHandlers(app: Express): RegisteredHandlers {
  const out: RegisteredHandlers = { routes: [], mounts: [] };
  const router = (app as unknown as { router?: { stack?: Layer[] } }).router;
  if (!Array.isArray(router?.stack)) throw new Error("app.router.stack is missing: not Express 5?");
  walk(router.stack, "", out);
  return out;
}

function walk(stack: Layer[], prefix: string, out: RegisteredHandlers): void {
  for (const layer of stack) {
    if (layer.route) {
      const { path, methods } = layer.route;
      if (typeof path !== "string") throw new Error(`route path ${String(path)} is not a string`);
      for (const method of Object.keys(methods)) {
        if (method === "_all") throw new Error(`${path} is registered for every method (all)`);
        out.routes.push({ method, path: toOpenApiPath(prefix + path) });
      }
      continue;
    }
    if (!("rawPath" in layer)) throw new Error("router layers have no rawPath: not router 2.x?");
    const mountPath = layer.slash ? "" : layer.rawPath;
    if (typeof mountPath !== "string") {
      throw new Error(`middleware mounted at ${String(layer.rawPath)}: not a string path`);
    }
    if (Array.isArray(layer.handle.stack)) walk(layer.handle.stack, prefix + mountPath, out);
    else if (mountPath !== "") out.mounts.push({ path: prefix + mountPath, name: layer.name });
  }
}

/** "/generation/:id/status" → "/generation/{id}/status". */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, "{$1}");
}
