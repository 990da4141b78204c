/**
 * The load generator's HTTP/1.1 client: keep-alive sockets that write a request as one string
 * and read an answer by its Content-Length (or chunks). Node's http client cost the generator
 * about half a millisecond of CPU a request, half a core at 1000 req/s on the machine it shares
 * with what it measures; a client elsewhere costs the service nothing. This costs a fraction.
 * Only what the generator needs: no redirects, no compression, one request at a time a socket,
 * answers with a Content-Length or chunks (no trailers; a 204 or 304 without a length fails).
 */
import { connect, type Socket } from "node:net";

export interface Answer {
  status: number;
  body: string;
}

interface Waiting {
  resolve: (answer: Answer) => void;
  reject: (error: Error) => void;
}

const CRLF = "\r\n";

/** One keep-alive connection: one request in flight at a time. */
class Connection {
  private readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: Waiting | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  closed = false;

  constructor(
    host: string,
    port: number,
    private readonly onIdle: (connection: Connection) => void,
    private readonly onClosed: (connection: Connection) => void,
    private readonly idleMs: number,
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on("data", (chunk: Buffer) => this.read(chunk));
    const fail = (error: Error) => this.close(error);
    this.socket.on("error", fail);
    this.socket.on("close", () => this.close(new Error("socket closed")));
  }

  send(request: string, waiting: Waiting): void {
    clearTimeout(this.idleTimer);
    this.waiting = waiting;
    this.socket.write(request);
  }

  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.socket.destroy();
    this.onClosed(this);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error ?? new Error("socket closed"));
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headEnd = this.buffered.indexOf("\r\n\r\n");
    if (headEnd < 0) return;
    const head = this.buffered.toString("latin1", 0, headEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    let body: string | undefined;
    let consumed = 0;
    if (length !== undefined) {
      const end = headEnd + 4 + Number(length);
      if (this.buffered.length < end) return;
      body = this.buffered.toString("utf8", headEnd + 4, end);
      consumed = end;
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const parts: Buffer[] = [];
      let at = headEnd + 4;
      for (;;) {
        const lineEnd = this.buffered.indexOf(CRLF, at);
        if (lineEnd < 0) return;
        const size = Number.parseInt(this.buffered.toString("latin1", at, lineEnd), 16);
        if (Number.isNaN(size)) {
          this.close(new Error(`answer ${status} with a bad chunk size`));
          return;
        }
        if (this.buffered.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          consumed = lineEnd + 4;
          break;
        }
        parts.push(this.buffered.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts).toString("utf8");
    } else {
      // Neither: the answer ends with the connection (not what the API sends).
      this.close(new Error(`answer ${status} without Content-Length`));
      return;
    }
    this.buffered = this.buffered.subarray(consumed);
    const waiting = this.waiting;
    if (!waiting) {
      // An answer to no request: the connection can no longer be trusted to pair them.
      this.close(new Error(`answer ${status} to no request`));
      return;
    }
    this.waiting = undefined;
    if (/\r\nconnection: *close/i.test(head)) this.close();
    else {
      this.idleTimer = setTimeout(() => this.close(), this.idleMs);
      this.onIdle(this);
    }
    waiting.resolve({ status, body });
  }
}

/**
 * Connections to one server, as many as requests in flight (the schedule never waits for a
 * free one). A connection idle for `idleMs` is closed, before the server's keep-alive timeout
 * (Node's 5 s) closes it under a request.
 */
export function leanPool(url: URL, options: { idleMs?: number; timeoutMs?: number } = {}) {
  const host = url.hostname;
  const port = Number(url.port);
  const idleMs = options.idleMs ?? 4_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  const release = (connection: Connection) => idle.push(connection);
  const forget = (connection: Connection) => all.delete(connection);
  let opened = 0;
  return {
    request(method: string, path: string, headers: Record<string, string>, body = "") {
      return new Promise<Answer>((resolve, reject) => {
        let connection = idle.pop();
        while (connection?.closed) connection = idle.pop();
        if (!connection) {
          connection = new Connection(host, port, release, forget, idleMs);
          all.add(connection);
          opened++;
        }
        let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n`;
        for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
        head += `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
        const used = connection;
        const timer = setTimeout(
          () => used.close(new Error(`no answer in ${timeoutMs} ms`)),
          timeoutMs,
        );
        used.send(head + body, {
          resolve: (answer) => {
            clearTimeout(timer);
            resolve(answer);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      });
    },
    /** Connections opened so far. */
    opened: () => opened,
    close() {
      for (const connection of all) connection.close();
    },
  };
}
