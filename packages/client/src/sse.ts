/**
 * A small `text/event-stream` parser (the WHATWG "server-sent events" interpretation rules),
 * fed with decoded text as it arrives. Used with fetch rather than EventSource, which cannot
 * send an Authorization header; works the same in browsers and Node.
 */

export interface ServerSentEvent {
  /** The `event:` field; "message" when the event named none. */
  event: string;
  /** The `data:` lines, joined with "\n". */
  data: string;
  /** The last `id:` seen on the stream so far (what Last-Event-ID resends); "" if none. */
  id: string;
}

export class EventStreamParser {
  private partial = "";
  private data: string[] = [];
  private eventType = "";
  private lastEventId = "";
  private skipLineFeed = false;
  private started = false;
  /** The stream's latest `retry:` (reconnection delay in ms), if it sent one. */
  retry: number | undefined;
  /** How many comment lines (`: ping`) arrived; heartbeats are comments. */
  comments = 0;

  /** Parses the next piece of the stream; answers the events it completed. */
  feed(chunk: string): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLineFeed && text.length > 0) {
      // The previous piece ended in CR: a LF starting this one belongs to that line end.
      if (text.charCodeAt(0) === 10) text = text.slice(1);
      this.skipLineFeed = false;
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.partial + text.slice(start, i);
      this.partial = "";
      this.line(line, events);
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLineFeed = true;
        }
      }
      start = i + 1;
    }
    this.partial += text.slice(start);
    return events;
  }

  /** The stream ended: an event without its closing blank line is dropped, as the spec says. */
  end(): ServerSentEvent[] {
    this.partial = "";
    this.data = [];
    this.eventType = "";
    return [];
  }

  private line(line: string, events: ServerSentEvent[]): void {
    if (line === "") {
      this.dispatch(events);
      return;
    }
    if (line.charCodeAt(0) === 58 /* ":" */) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* " " */) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventType = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  private dispatch(events: ServerSentEvent[]): void {
    if (this.data.length > 0) {
      events.push({
        event: this.eventType || "message",
        data: this.data.join("\n"),
        id: this.lastEventId,
      });
    }
    this.data = [];
    this.eventType = "";
  }
}

/**
 * The events of a response body, as they arrive. `onActivity` is called on every chunk
 * (heartbeats included), so a caller can tell a quiet stream from a dead one.
 */
export async function* readEventStream(
  body: ReadableStream<Uint8Array>,
  parser: EventStreamParser = new EventStreamParser(),
  onActivity: () => void = () => undefined,
): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        yield* parser.feed(decoder.decode());
        parser.end();
        return;
      }
      onActivity();
      yield* parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    // Stops the download when the consumer leaves early (break, return, throw).
    reader.cancel().catch(() => undefined);
  }
}
