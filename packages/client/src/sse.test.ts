import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventStreamParser, readEventStream, type ServerSentEvent } from "./sse.ts";

const parseAll = (...chunks: string[]) => {
  const parser = new EventStreamParser();
  const events = chunks.flatMap((c) => parser.feed(c));
  return { events, parser };
};

describe("EventStreamParser", () => {
  it("reads the live-status contract: id, event name, JSON data", () => {
    const { events } = parseAll(
      'id: 1\nevent: queued\ndata: {"id":"gen_1","status":"queued"}\n\n',
      'id: 2\nevent: classify\ndata: {"id":"gen_1","status":"processing"}\n\n',
    );
    expect(events).toEqual([
      { id: "1", event: "queued", data: '{"id":"gen_1","status":"queued"}' },
      { id: "2", event: "classify", data: '{"id":"gen_1","status":"processing"}' },
    ]);
  });

  it("joins data lines with newlines and defaults the event name to message", () => {
    const { events } = parseAll("data: one\ndata: two\ndata\n\n");
    expect(events).toEqual([{ id: "", event: "message", data: "one\ntwo\n" }]);
  });

  it("skips comments (heartbeats) but counts them", () => {
    const { events, parser } = parseAll(": ping\n\n: ping\nevent: x\ndata: 1\n\n");
    expect(events).toEqual([{ id: "", event: "x", data: "1" }]);
    expect(parser.comments).toBe(2);
  });

  it("takes CRLF, CR and LF line ends, even a CRLF split across chunks", () => {
    const crlf = parseAll("event: a\r\ndata: 1\r\n\r\n");
    const cr = parseAll("event: a\rdata: 1\r\r");
    const split = parseAll("event: a\r", "\ndata: 1\r", "\n\r", "\n");
    for (const { events } of [crlf, cr, split]) {
      expect(events).toEqual([{ id: "", event: "a", data: "1" }]);
    }
  });

  it("strips one leading space only, and a leading byte-order mark", () => {
    const { events } = parseAll("\uFEFFdata:  two spaces\n\n");
    expect(events).toEqual([{ id: "", event: "message", data: " two spaces" }]);
  });

  it("keeps the last id across events, ignores an id with NUL, and reads retry", () => {
    const { events, parser } = parseAll(
      "id: 7\ndata: a\n\ndata: b\n\nid: bad\0id\ndata: c\n\nretry: 2500\nretry: soon\n\n",
    );
    expect(events.map((e) => e.id)).toEqual(["7", "7", "7"]);
    expect(parser.retry).toBe(2500);
  });

  it("does not dispatch an event without data, nor one the stream cut off", () => {
    const { events, parser } = parseAll("event: empty\n\nid: 3\nevent: cut\ndata: half");
    expect(events).toEqual([]);
    expect(parser.end()).toEqual([]);
    expect(parser.feed("data: x\n\n")).toEqual([{ id: "3", event: "message", data: "x" }]);
  });

  it("ignores unknown fields and reads a field without a colon as empty", () => {
    const { events } = parseAll("foo: bar\nevent\ndata: 1\n\n");
    expect(events).toEqual([{ id: "", event: "message", data: "1" }]);
  });

  it("gives the same events however the stream is cut into chunks", () => {
    const stream =
      ': ping\r\nid: 1\nevent: queued\ndata: {"a":1}\r\n\r\nid: 2\revent: completed\rdata: x\rdata: y\r\r';
    const whole = parseAll(stream).events;
    expect(whole).toHaveLength(2);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }),
        (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
          const chunks = points.slice(1).map((end, i) => stream.slice(points[i], end));
          expect(parseAll(...chunks).events).toEqual(whole);
        },
      ),
    );
  });
});

describe("readEventStream", () => {
  const bodyOf = (chunks: Uint8Array[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        controller.close();
      },
    });

  it("decodes UTF-8 split inside a character and reports activity per chunk", async () => {
    const bytes = new TextEncoder().encode("event: s\ndata: crème brûlée 🍌\n\n: ping\n");
    const at = bytes.indexOf(0xc3) + 1; // inside "è"
    let activity = 0;
    const events: ServerSentEvent[] = [];
    for await (const e of readEventStream(
      bodyOf([bytes.slice(0, at), bytes.slice(at)]),
      undefined,
      () => activity++,
    )) {
      events.push(e);
    }
    expect(events).toEqual([{ id: "", event: "s", data: "crème brûlée 🍌" }]);
    expect(activity).toBe(2);
  });

  it("cancels the body when the reader stops early", async () => {
    let canceled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("data: 1\n\ndata: 2\n\n"));
      },
      cancel() {
        canceled = true;
      },
    });
    for await (const e of readEventStream(body)) {
      expect(e.data).toBe("1");
      break;
    }
    expect(canceled).toBe(true);
  });
});
