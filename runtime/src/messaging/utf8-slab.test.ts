import { describe, expect, it } from "vitest";
import { utf8Concat } from "./utf8-slab.ts";

describe("utf8Concat", () => {
  it("encodes the three parts as one UTF-8 body, multi-byte characters included", () => {
    const body = utf8Concat('{"data":', '"é ✓ 😀 \\u2028"', "}");
    expect(body.toString("utf8")).toBe('{"data":"é ✓ 😀 \\u2028"}');
    expect(body.length).toBe(Buffer.byteLength('{"data":"é ✓ 😀 \\u2028"}'));
  });

  it("never lets one body overwrite another, across many slabs", () => {
    const bodies = Array.from({ length: 2000 }, (_, i) => ({
      text: `${i}:${"ü".repeat(i % 700)}`,
      body: utf8Concat("[", `${i}:${"ü".repeat(i % 700)}`, "]"),
    }));
    for (const { text, body } of bodies) expect(body.toString("utf8")).toBe(`[${text}]`);
    // Small bodies are slices of shared slabs (2,000 bodies, ~1.4 MB: a few dozen slabs).
    expect(new Set(bodies.map(({ body }) => body.buffer)).size).toBeLessThan(100);
  });

  it("gives a large body a buffer of its own", () => {
    const large = "x".repeat(100_000);
    const body = utf8Concat("<", large, ">");
    expect(body.length).toBe(100_002);
    expect(body.buffer.byteLength).toBe(100_002);
    expect(body.toString("latin1", 0, 2)).toBe("<x");
    expect(body.at(-1)).toBe(0x3e);
  });
});
