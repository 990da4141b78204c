import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small stand-in for the Google Cloud Storage JSON API: just what the GCS BlobStore
 * calls (media and multipart uploads with ifGenerationMatch, object metadata, download,
 * delete, list). No GCS emulator installs here; the adapter reaches this server through
 * STORAGE_EMULATOR_HOST / apiEndpoint exactly as it reaches Google.
 */
interface StoredObject {
  bucket: string;
  name: string;
  data: Buffer;
  contentType: string;
  metadata: Record<string, string>;
  generation: number;
  created: string;
}

export interface FakeGcs {
  url: string;
  objects: Map<string, StoredObject>;
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

// CRC32C (Castagnoli), which GCS reports and the SDK checks on every transfer.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString("base64");
}

const md5 = (data: Buffer) => createHash("md5").update(data).digest("base64");

function resource(o: StoredObject) {
  return {
    kind: "storage#object",
    id: `${o.bucket}/${o.name}/${o.generation}`,
    bucket: o.bucket,
    name: o.name,
    generation: String(o.generation),
    metageneration: "1",
    contentType: o.contentType,
    size: String(o.data.length),
    md5Hash: md5(o.data),
    crc32c: crc32c(o.data),
    metadata: o.metadata,
    timeCreated: o.created,
    updated: o.created,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** multipart/related: a JSON metadata part, then the bytes. */
function parseMultipart(
  body: Buffer,
  contentType: string,
): { meta: Record<string, unknown>; data: Buffer; dataType: string } {
  const boundary = contentType.match(/boundary="?([^";]+)"?/)?.[1];
  if (!boundary) throw new Error("multipart upload without a boundary");
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    parts.push(body.subarray(start + delimiter.length, next));
    start = next;
  }
  const split = (part: Buffer) => {
    const headerEnd = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, headerEnd).toString();
    let content = part.subarray(headerEnd + 4);
    if (content.subarray(-2).toString() === "\r\n") content = content.subarray(0, -2);
    return { headers, content };
  };
  const [metaPart, dataPart] = parts.map(split);
  if (!metaPart || !dataPart)
    throw new Error("multipart upload needs a metadata part and a data part");
  return {
    meta: JSON.parse(metaPart.content.toString()) as Record<string, unknown>,
    data: dataPart.content,
    dataType:
      dataPart.headers.match(/content-type:\s*([^\r\n]+)/i)?.[1] ?? "application/octet-stream",
  };
}

function error(res: ServerResponse, code: number, message: string) {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ error: { code, message, errors: [{ message, reason: message }] } }));
}

export async function startFakeGcs(): Promise<FakeGcs> {
  const objects = new Map<string, StoredObject>();
  const requests: FakeGcs["requests"] = [];
  let generation = 1_700_000_000_000_000;

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://fake-gcs");
      requests.push({ method: req.method ?? "", path: url.pathname });
      const upload = url.pathname.match(/^\/upload\/storage\/v1\/b\/([^/]+)\/o$/);
      const object = url.pathname.match(/^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/);
      const list = url.pathname.match(/^\/storage\/v1\/b\/([^/]+)\/o$/);

      if (req.method === "POST" && upload?.[1]) {
        const bucket = upload[1];
        const body = await readBody(req);
        const type = String(req.headers["content-type"] ?? "application/octet-stream");
        const parsed =
          url.searchParams.get("uploadType") === "multipart"
            ? parseMultipart(body, type)
            : { meta: { name: url.searchParams.get("name") }, data: body, dataType: type };
        const name = String(parsed.meta.name ?? url.searchParams.get("name") ?? "");
        if (!name) return error(res, 400, "required: object name");
        const key = `${bucket}/${name}`;
        const ifGenerationMatch =
          url.searchParams.get("ifGenerationMatch") ??
          (parsed.meta.ifGenerationMatch as string | undefined);
        // ifGenerationMatch=0: create only; the object must not exist yet.
        if (ifGenerationMatch === "0" && objects.has(key))
          return error(res, 412, "conditionNotMet");
        const stored: StoredObject = {
          bucket,
          name,
          data: parsed.data,
          contentType: String(parsed.meta.contentType ?? parsed.dataType),
          metadata: (parsed.meta.metadata as Record<string, string> | undefined) ?? {},
          generation: ++generation,
          created: new Date().toISOString(),
        };
        objects.set(key, stored);
        res.writeHead(200, { "Content-Type": "application/json" });
        return res.end(JSON.stringify(resource(stored)));
      }

      if (object?.[1] && object[2]) {
        const key = `${object[1]}/${decodeURIComponent(object[2])}`;
        const stored = objects.get(key);
        if (req.method === "DELETE") {
          if (!stored) return error(res, 404, "No such object");
          objects.delete(key);
          res.writeHead(204);
          return res.end();
        }
        if (req.method === "GET") {
          if (!stored) return error(res, 404, `No such object: ${key}`);
          if (url.searchParams.get("alt") === "media" || url.pathname.startsWith("/download/")) {
            res.writeHead(200, {
              "Content-Type": stored.contentType,
              "Content-Length": String(stored.data.length),
              "x-goog-hash": `crc32c=${crc32c(stored.data)},md5=${md5(stored.data)}`,
              "x-goog-generation": String(stored.generation),
            });
            return res.end(stored.data);
          }
          res.writeHead(200, { "Content-Type": "application/json" });
          return res.end(JSON.stringify(resource(stored)));
        }
      }

      if (req.method === "GET" && list?.[1]) {
        const prefix = url.searchParams.get("prefix") ?? "";
        const items = [...objects.values()]
          .filter((o) => o.bucket === list[1] && o.name.startsWith(prefix))
          .map(resource);
        res.writeHead(200, { "Content-Type": "application/json" });
        return res.end(JSON.stringify({ kind: "storage#objects", items }));
      }
      return error(res, 404, `fake GCS has no route ${req.method} ${url.pathname}`);
    } catch (caught) {
      return error(res, 500, (caught as Error).message);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
