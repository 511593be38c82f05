import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BINARY_CONTENT_TYPE, decodeEnvelope, decodeMessage, encodeEnvelope } from "./envelope.ts";
import { MessagingError } from "./errors.ts";

// Properties of the envelope codec, for every input fast-check can think of: a payload JSON can
// carry comes back exactly; bytes from the wire give a valid envelope or a typed "cannot read",
// never an exception.
/** JSON has no -0: `-0` is written as `0` (equal by ===, so the encoder lets it pass). */
function hasNegativeZero(value: unknown): boolean {
  if (Object.is(value, -0)) return true;
  if (value === null || typeof value !== "object") return false;
  return Object.values(value).some(hasNegativeZero);
}

describe("the envelope codec, for every input", () => {
  it("round-trips every JSON value exactly, whatever its type and source strings", () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((value) => !hasNegativeZero(value)),
        fc.string({ minLength: 1 }),
        fc.option(fc.string(), { nil: undefined }),
        (data, type, source) => {
          const { envelope, body } = encodeEnvelope(data, { type, source });
          const decoded = decodeEnvelope(body);
          expect(decoded).toEqual({ ok: true, envelope });
          expect(decoded.ok && decoded.envelope.data).toStrictEqual(data);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("round-trips every byte string as a binary payload", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.string({ minLength: 1 }), (bytes, type) => {
        const encoded = encodeEnvelope(bytes, { type });
        expect(encoded.binary).toBe(true);
        const headers = { "x-aios-v": 1, "x-aios-type": type, "x-aios-time": encoded.envelope.time };
        const decoded = decodeMessage(encoded.body, {
          contentType: BINARY_CONTENT_TYPE,
          messageId: encoded.envelope.id,
          headers,
        });
        expect(decoded.ok).toBe(true);
        expect(decoded.ok && Buffer.from(bytes).equals(decoded.envelope.data as Buffer)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("encoding any value either succeeds with a body that decodes to it, or throws a typed messaging error", () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withDate: true,
          withNullPrototype: true,
          withSparseArray: true,
        }),
        (data) => {
          let encoded: ReturnType<typeof encodeEnvelope> | undefined;
          try {
            encoded = encodeEnvelope(data, { type: "any" });
          } catch (error) {
            expect(error).toBeInstanceOf(MessagingError);
            return;
          }
          if (encoded.binary) return;
          const decoded = decodeEnvelope(encoded.body);
          expect(decoded.ok).toBe(true);
          // Whatever went out is exactly what JSON.stringify would have written: nothing dropped.
          expect(decoded.ok && decoded.envelope.data).toStrictEqual(JSON.parse(JSON.stringify(data)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("decodes any byte string to a valid envelope or a typed failure, never throwing", () => {
    const schema = z.object({ n: z.number() });
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
      fc.json().map((text) => Buffer.from(text)),
      fc
        .record(
          {
            v: fc.anything(),
            id: fc.anything(),
            type: fc.anything(),
            time: fc.anything(),
            data: fc.anything(),
          },
          { requiredKeys: [] },
        )
        .map((object) => Buffer.from(JSON.stringify(object) ?? "")),
    );
    const properties = fc.option(
      fc.record({
        contentType: fc.constantFrom(BINARY_CONTENT_TYPE, "application/json", undefined),
        messageId: fc.option(fc.string(), { nil: undefined }),
        headers: fc.option(
          fc.dictionary(
            fc.constantFrom("x-aios-v", "x-aios-type", "x-aios-time", "x-aios-source", "other"),
            fc.anything(),
          ),
          { nil: undefined },
        ),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(bodies, properties, fc.boolean(), (body, props, withSchema) => {
        const decoded = decodeMessage(body, props, withSchema ? schema : undefined);
        if (decoded.ok) {
          const e = decoded.envelope;
          expect(e.v).toBe(1);
          expect(typeof e.id === "string" && e.id.length > 0).toBe(true);
          expect(typeof e.type === "string" && e.type.length > 0).toBe(true);
          expect(typeof e.time).toBe("string");
          if (withSchema) expect(schema.safeParse(e.data).success).toBe(true);
        } else {
          expect(["unparseable", "schema-invalid"]).toContain(decoded.reason);
          expect(typeof decoded.error).toBe("string");
        }
      }),
      { numRuns: 1000 },
    );
  });
});
