import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { isRetryable, translateS3Error } from "./error-classifier.ts";
import { StorageError } from "./errors.ts";
import { InvalidKeyError } from "./errors.ts";
import { validateKey } from "./keys.ts";
import { chunksOf, PartPool, partsOf, readHead } from "./multipart.ts";
import { meteredStream, type Progress, ProgressMeter } from "./progress.ts";

describe("ProgressMeter", () => {
  it("reports bytes, total and rate at most once per interval, and always at the end", async () => {
    const seen: Progress[] = [];
    const meter = new ProgressMeter((p) => seen.push(p), 30, 60_000);
    const counted = Readable.from([Buffer.alloc(10), Buffer.alloc(10), Buffer.alloc(10)]).pipe(
      meteredStream(meter),
    );
    for await (const _ of counted);
    expect(meter.bytesDone).toBe(30);
    // Every chunk fell inside the interval: only the end reports.
    expect(seen.map((p) => p.bytesDone)).toEqual([30]);
    expect(seen.at(-1)).toMatchObject({ totalBytes: 30 });
    expect(seen.at(-1)?.bytesPerSecond).toBeGreaterThan(0);
  });

  it("reports every chunk when the interval is zero", () => {
    const seen: number[] = [];
    const meter = new ProgressMeter((p) => seen.push(p.bytesDone), undefined, 0);
    meter.add(1);
    meter.add(2);
    meter.finish();
    expect(seen).toEqual([1, 3, 3]);
  });

  it("counts without a listener", () => {
    const meter = new ProgressMeter(undefined, undefined);
    meter.add(5);
    meter.finish();
    expect(meter.bytesDone).toBe(5);
  });
});

describe("reading the head of an upload", () => {
  it("says whether the stream ended within the limit", async () => {
    const small = await readHead(chunksOf(Readable.from([Buffer.from("abc"), "def"])), 10);
    expect(small).toEqual({ head: Buffer.from("abcdef"), ended: true });
    const big = await readHead(chunksOf(Readable.from([Buffer.alloc(6), Buffer.alloc(6)])), 10);
    expect(big.ended).toBe(false);
    expect(big.head.length).toBe(12);
  });
});

describe("slicing an upload into parts", () => {
  const bytes = (length: number, from = 0) => Buffer.from(Array.from({ length }, (_, i) => (from + i) % 251));
  async function* chunks(...list: Buffer[]) {
    yield* list;
  }

  it("gives parts of exactly the part size, the last one shorter, with every byte in order", async () => {
    const all = bytes(45);
    const pool = new PartPool(10);
    const parts: Buffer[] = [];
    // chunks that straddle part boundaries, and an empty one
    const source = chunks(all.subarray(12, 15), Buffer.alloc(0), all.subarray(15, 33), all.subarray(33));
    for await (const part of partsOf(all.subarray(0, 12), source, pool)) {
      parts.push(Buffer.from(part.bytes));
      if (part.slot) pool.give(part.slot);
    }
    expect(parts.map((part) => part.length)).toEqual([10, 10, 10, 10, 5]);
    expect(Buffer.concat(parts)).toEqual(all);
  });

  it("reuses the buffers of parts given back, and slices a whole-part chunk without copying it", async () => {
    const pool = new PartPool(10);
    const big = bytes(25);
    const seen: { copied: boolean }[] = [];
    for await (const part of partsOf(
      Buffer.alloc(0),
      chunks(big, bytes(3), bytes(3), bytes(3), bytes(3), bytes(3)),
      pool,
    )) {
      seen.push({ copied: part.slot !== undefined });
      if (part.slot) pool.give(part.slot);
    }
    // 25 bytes: two parts sliced from the chunk itself; the rest (5 + 15 bytes) copied into pool buffers
    expect(seen).toEqual([{ copied: false }, { copied: false }, { copied: true }, { copied: true }]);
    expect(pool.allocated).toBe(1);
  });

  it("allocates one more buffer per part still in flight", async () => {
    const pool = new PartPool(4);
    const held: Buffer[] = [];
    for await (const part of partsOf(Buffer.alloc(0), chunks(bytes(3), bytes(3), bytes(3), bytes(3)), pool))
      if (part.slot) held.push(part.slot); // never given back: every part is still uploading
    expect(held).toHaveLength(3);
    expect(new Set(held).size).toBe(3);
    expect(pool.allocated).toBe(3);
  });
});

describe("object keys", () => {
  it("accept ordinary keys, including UTF-8 up to 1024 bytes", () => {
    expect(validateKey("workspaces/coder/notes.md")).toBe("workspaces/coder/notes.md");
    expect(validateKey("dir/")).toBe("dir/");
    expect(validateKey("é".repeat(512))).toHaveLength(512);
  });
  it("reject empty, too long, control characters, absolute and dot segments, saying why", () => {
    const reason = (key: string) => {
      try {
        validateKey(key);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidKeyError);
        expect(error).toMatchObject({ code: "STORAGE_INVALID_KEY" });
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(reason("")).toBe('invalid object key "": the key is empty');
    expect(reason("é".repeat(513))).toContain("longer than 1024 bytes in UTF-8");
    expect(reason("é".repeat(513))).toContain("…");
    expect(reason("a\u007fb")).toContain("control character");
    expect(reason("/a")).toContain("starts with '/'");
    expect(reason("a/./b")).toContain("segment");
  });
});

describe("transient failures", () => {
  const s3 = (code: string) => Object.assign(new Error(code), { code });
  it("are socket errors, throttling and 5xx answers, even without an error code", () => {
    expect(isRetryable(s3(""), 500)).toBe(true);
    expect(isRetryable(s3(""), 503)).toBe(true);
    expect(isRetryable(s3(""), 429)).toBe(true);
    expect(isRetryable(s3("ECONNREFUSED"))).toBe(true);
  });
  it("are never 4xx answers nor errors the SDK raised itself", () => {
    expect(isRetryable(s3(""), 400)).toBe(false);
    expect(isRetryable(s3("NoSuchKey"), 404)).toBe(false);
    expect(isRetryable(new StorageError("STORAGE_UNAVAILABLE", "x"), 500)).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
  });
  it("keep a typed error as it is", () => {
    const typed = new StorageError("STORAGE_TIMEOUT", "x");
    expect(translateS3Error(typed, "upload", "b", "k")).toBe(typed);
    expect(translateS3Error("weird", "upload")).toMatchObject({ code: "STORAGE_UNAVAILABLE" });
  });
});
