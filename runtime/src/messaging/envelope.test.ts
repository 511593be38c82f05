import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  BINARY_CONTENT_TYPE,
  BINARY_HEADERS,
  decodeEnvelope,
  decodeMessage,
  encodeEnvelope,
} from "./envelope.ts";
import { MessageTooLargeError, SchemaValidationError, SerializationError } from "./errors.ts";

describe("the message envelope", () => {
  it("encodes to JSON that decodes to the same envelope, source included", () => {
    const data = { task: 'quote " and \\ and \u2028', n: [1, null, { deep: true }] };
    const { envelope, body } = encodeEnvelope(data, { type: "coder.implement", source: "planner-1" });
    expect(JSON.parse(body.toString("utf8"))).toEqual(envelope);
    expect(envelope).toMatchObject({ v: 1, type: "coder.implement", source: "planner-1", data });
    expect(envelope.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const decoded = decodeEnvelope(body);
    expect(decoded).toEqual({ ok: true, envelope });
  });

  it("keeps a given id and leaves out an absent source", () => {
    const { envelope, body } = encodeEnvelope("text", { type: "t", id: "id-1" });
    expect(envelope.id).toBe("id-1");
    expect(JSON.parse(body.toString("utf8"))).not.toHaveProperty("source");
  });

  it("refuses what JSON cannot carry, naming the message type", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const data of [10n, circular, undefined, () => 1]) {
      expect(() => encodeEnvelope(data, { type: "bad.type" })).toThrow(SerializationError);
      expect(() => encodeEnvelope(data, { type: "bad.type" })).toThrow(/message type 'bad.type'/);
    }
  });

  it("checks the payload schema and the size limit before anything is sent", () => {
    const schema = z.object({ task: z.string() });
    expect(() => encodeEnvelope({ task: 1 } as never, { type: "t", schema })).toThrow(SchemaValidationError);
    expect(() => encodeEnvelope("x".repeat(100), { type: "t", maxBytes: 50 })).toThrow(MessageTooLargeError);
  });

  it("tells an unreadable body from a payload its schema rejects", () => {
    expect(decodeEnvelope(Buffer.from("{nope"))).toMatchObject({ ok: false, reason: "unparseable" });
    expect(decodeEnvelope(Buffer.from('{"v":2}'))).toMatchObject({ ok: false, reason: "unparseable" });
    const { body } = encodeEnvelope({ task: 1 }, { type: "t" });
    expect(decodeEnvelope(body, z.object({ task: z.string() }))).toMatchObject({
      ok: false,
      reason: "schema-invalid",
    });
  });

  it("refuses what JSON would silently drop or change (nested undefined, NaN, ±Infinity, functions, Maps, nested binary), naming the JSON path", () => {
    const cases: [unknown, string, RegExp][] = [
      [{ a: { b: [1, 2, undefined] } }, "$.a.b[2]", /undefined/],
      [{ a: { gone: undefined } }, "$.a.gone", /undefined/],
      [{ list: [{ x: Number.NaN }] }, "$.list[0].x", /NaN/],
      [[1, Number.POSITIVE_INFINITY], "$[1]", /Infinity/],
      [{ "odd key": -Infinity }, '$["odd key"]', /Infinity/],
      [{ f: () => 1 }, "$.f", /function/],
      [{ s: Symbol("s") }, "$.s", /symbol/],
      [{ n: 10n }, "$.n", /BigInt/],
      [{ m: new Map([[1, 2]]) }, "$.m", /Map/],
      [{ file: Buffer.from("abc") }, "$.file", /binary data/],
      [{ bytes: new Uint8Array(3) }, "$.bytes", /binary data/],
      [Number.NaN, "$", /NaN/],
    ];
    for (const [data, path, reason] of cases) {
      let error: unknown;
      try {
        encodeEnvelope(data, { type: "t" });
      } catch (e) {
        error = e;
      }
      expect(error, path).toBeInstanceOf(SerializationError);
      expect(error, path).toMatchObject({ code: "MESSAGING_SERIALIZATION_FAILED", path });
      expect((error as Error).message, path).toMatch(reason);
      expect((error as Error).message, path).toContain(path);
    }
    // What JSON carries exactly still goes: null, nested empties, dates (as strings), -1e300.
    const fine = { a: null, b: [], c: {}, d: new Date(0), e: -1e300, f: [null, false, "", 0] };
    const { body } = encodeEnvelope(fine, { type: "t" });
    expect(JSON.parse(body.toString()).data).toEqual(JSON.parse(JSON.stringify(fine)));
  });

  it("stops serializing as soon as the payload passes the size limit, however it is made up", () => {
    const limit = 64 * 1024;
    for (const data of [
      "x".repeat(limit + 1),
      { text: "y".repeat(limit) },
      new Array(limit + 10).fill(0),
      { nested: Array.from({ length: 2000 }, () => ({ k: "z".repeat(40) })) },
    ]) {
      expect(() => encodeEnvelope(data, { type: "t", maxBytes: limit })).toThrow(MessageTooLargeError);
    }
    expect(() => encodeEnvelope("x".repeat(limit - 200), { type: "t", maxBytes: limit })).not.toThrow();
  });

  it("carries a Buffer, typed array or ArrayBuffer as its bytes, checking the size before anything else", () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    for (const data of [
      bytes,
      new Uint8Array(bytes),
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 4),
    ]) {
      const encoded = encodeEnvelope(data, { type: "blob", source: "s" });
      expect(encoded.binary).toBe(true);
      expect(encoded.body.equals(bytes)).toBe(true);
    }
    expect(() => encodeEnvelope(Buffer.alloc(11), { type: "blob", maxBytes: 10 })).toThrow(
      MessageTooLargeError,
    );
    const properties = {
      contentType: BINARY_CONTENT_TYPE,
      messageId: "id-1",
      headers: { [BINARY_HEADERS.v]: 1, [BINARY_HEADERS.type]: "blob", [BINARY_HEADERS.time]: "t" },
    };
    const decoded = decodeMessage(bytes, properties);
    expect(decoded).toMatchObject({ ok: true, envelope: { v: 1, id: "id-1", type: "blob", time: "t" } });
    expect(decoded.ok && Buffer.isBuffer(decoded.envelope.data)).toBe(true);
    expect(decodeMessage(bytes, { ...properties, headers: {} })).toMatchObject({
      ok: false,
      reason: "unparseable",
    });
    // A JSON message reads as before.
    expect(
      decodeMessage(encodeEnvelope({ a: 1 }, { type: "t" }).body, { contentType: "application/json" }),
    ).toMatchObject({
      ok: true,
      envelope: { data: { a: 1 } },
    });
  });
});
