import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decodeEnvelope, encodeEnvelope } from "./envelope.ts";
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
});
