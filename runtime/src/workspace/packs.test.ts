import { describe, expect, it } from "vitest";
import {
  coveringRange,
  encodePack,
  groupIntoPacks,
  PACK_FILE_MAX_BYTES,
  PACK_MAX_BYTES,
  planUploads,
} from "./packs.ts";

const files = (count: number, size: number) => Array.from({ length: count }, (_, i) => ({ id: i, size }));

describe("groupIntoPacks", () => {
  it("shares many small files among as many packs as uploads run at once, in order", () => {
    const packs = groupIntoPacks(files(2000, 4096), 32);
    expect(packs.length).toBeGreaterThanOrEqual(31);
    expect(packs.length).toBeLessThanOrEqual(33);
    expect(packs.flat().map((f) => f.id)).toEqual(files(2000, 4096).map((f) => f.id));
  });

  it("keeps a few small files in one pack rather than one request each", () => {
    expect(groupIntoPacks(files(10, 100), 16)).toHaveLength(1);
  });

  it("never lets a pack grow past the maximum", () => {
    const packs = groupIntoPacks(files(400, 256 * 1024), 2);
    for (const pack of packs) {
      expect(pack.reduce((sum, f) => sum + f.size, 0)).toBeLessThanOrEqual(PACK_MAX_BYTES);
    }
    expect(packs.flat()).toHaveLength(400);
  });

  it("makes no pack of nothing", () => {
    expect(groupIntoPacks([], 8)).toEqual([]);
  });
});

describe("encodePack", () => {
  it("concatenates the contents and stores a repeated content once", () => {
    const { body, offsets } = encodePack([
      { sha256: "a", body: Buffer.from("alpha") },
      { sha256: "b", body: Buffer.from("beta") },
      { sha256: "a", body: Buffer.from("alpha") },
      { sha256: "e", body: Buffer.alloc(0) },
    ]);
    expect(body.toString()).toBe("alphabeta");
    expect([...offsets]).toEqual([
      ["a", 0],
      ["b", 5],
      ["e", 9],
    ]);
  });
});

describe("coveringRange", () => {
  it("spans from the first byte of the earliest entry to the last byte of the latest", () => {
    expect(
      coveringRange([
        { offset: 100, size: 10 },
        { offset: 20, size: 5 },
        { offset: 50, size: 60 },
      ]),
    ).toEqual({ offset: 20, length: 90 });
  });
});

describe("planUploads", () => {
  it("reuses what the workspace holds, packs small files and leaves large ones alone", () => {
    const big = PACK_FILE_MAX_BYTES + 1;
    const plan = planUploads(
      [
        { path: "same.md", sha256: "held", size: 10 },
        { path: "a.md", sha256: "a", size: 10 },
        { path: "b.md", sha256: "b", size: PACK_FILE_MAX_BYTES },
        { path: "big.bin", sha256: "big", size: big },
      ],
      { "old/place.md": { sha256: "held", size: 10, pack: "p", offset: 4 } },
      4,
    );
    expect(plan.reused).toEqual([
      [
        { path: "same.md", sha256: "held", size: 10 },
        { sha256: "held", size: 10, pack: "p", offset: 4 },
      ],
    ]);
    expect(plan.packs.flat().map((f) => f.path)).toEqual(["a.md", "b.md"]);
    expect(plan.alone.map((f) => f.path)).toEqual(["big.bin"]);
  });
});
