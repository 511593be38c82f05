import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import type { Progress } from "../../storage/index.ts";
import { ByteMeter } from "./byte-meter.ts";

describe("ByteMeter", () => {
  it("counts a stream's bytes as they are read, before the stream ends", async () => {
    const reports: Progress[] = [];
    const meter = new ByteMeter((p) => reports.push(p), 3000, 0);
    const file = meter.counting(Readable.from([Buffer.alloc(1000), Buffer.alloc(1000), Buffer.alloc(1000)]));
    expect((await buffer(file.stream)).length).toBe(3000);
    file.settle(3000);
    meter.finish();
    expect(reports.map((r) => r.bytesDone)).toEqual([1000, 2000, 3000, 3000]);
    expect(reports.every((r) => r.totalBytes === 3000)).toBe(true);
  });

  it("counts a file that was never read (already stored) when it is settled", () => {
    const reports: Progress[] = [];
    const meter = new ByteMeter((p) => reports.push(p), 500, 0);
    const source = Readable.from([Buffer.alloc(500)]);
    meter.counting(source).settle(500);
    meter.finish();
    expect(reports.at(-1)?.bytesDone).toBe(500);
  });

  it("hands a source's error to the reader", async () => {
    const meter = new ByteMeter(() => {}, 10);
    const failing = new Readable({
      read() {
        this.destroy(new Error("disk gone"));
      },
    });
    await expect(buffer(meter.counting(failing).stream)).rejects.toThrow("disk gone");
  });

  it("reports at most once per interval while bytes move", () => {
    const reports: Progress[] = [];
    const meter = new ByteMeter((p) => reports.push(p), 1000, 60_000);
    for (let i = 0; i < 100; i++) meter.add(10);
    meter.finish();
    expect(reports.map((r) => r.bytesDone)).toEqual([10, 1000]);
  });
});
