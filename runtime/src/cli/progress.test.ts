import { describe, expect, it } from "vitest";
import { formatBytes, type ProgressSink, TransferProgress } from "./progress.ts";

const MiB = 1024 * 1024;

function sink(isTTY: boolean): ProgressSink & { text: () => string } {
  const written: string[] = [];
  return { isTTY, columns: 100, write: (text: string) => written.push(text), text: () => written.join("") };
}

const at = (bytesDone: number, totalBytes = 256 * MiB) => ({
  bytesDone,
  totalBytes,
  bytesPerSecond: 50 * MiB,
});

describe("TransferProgress", () => {
  it("formats bytes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(256 * MiB)).toBe("256.0 MiB");
  });

  it("on a terminal, redraws one bar in place with the bytes and ends it with a newline", () => {
    const out = sink(true);
    const progress = new TransferProgress("push", out);
    progress.files(0, 1);
    progress.update(at(64 * MiB));
    progress.update(at(256 * MiB));
    progress.update(at(256 * MiB)); // the meter's final report: already shown
    const text = out.text();
    expect(text.split("\r").filter(Boolean)).toHaveLength(2);
    expect(text).toContain("push [######------------------] 64.0 MiB / 256.0 MiB  50.0 MiB/s 0/1 files");
    expect(text).toContain("[########################] 256.0 MiB / 256.0 MiB");
    expect(text.endsWith("\n")).toBe(true);
    expect(text).not.toContain("\u001b"); // a carriage return redraws; no escape sequences
  });

  it("in a pipe, prints plain lines (a tenth or a second apart), never a control code", () => {
    const out = sink(false);
    const progress = new TransferProgress("pull", out, { plainIntervalMs: 60_000 });
    for (let done = 0; done <= 256 * MiB; done += 4 * MiB) progress.update(at(done));
    progress.update(at(256 * MiB));
    const lines = out.text().trimEnd().split("\n");
    expect(lines[0]).toBe("pull: 0 B / 256.0 MiB (0%)  50.0 MiB/s");
    expect(lines).toContain("pull: 28.0 MiB / 256.0 MiB (10%)  50.0 MiB/s");
    expect(lines.at(-1)).toBe("pull: 256.0 MiB / 256.0 MiB (100%)  50.0 MiB/s");
    expect(lines).toHaveLength(11);
    expect(out.text()).not.toContain("\r");
    expect(out.text()).not.toContain("\u001b");
  });

  it("says nothing for a transfer of no bytes", () => {
    const out = sink(false);
    new TransferProgress("push", out).update(at(0, 0));
    expect(out.text()).toBe("");
  });
});
