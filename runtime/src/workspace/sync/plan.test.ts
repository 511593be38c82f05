import { describe, expect, it } from "vitest";
import { type Changes, conflictCopyPath } from "../manifest.ts";
import { mergeChanges } from "../merge.ts";
import { validatePath } from "../paths.ts";
import { planPull, planPush, planTwoWay } from "./plan.ts";

const f = (sha256: string) => ({ sha256, size: 1 });

describe("sync plans", () => {
  it("push sends changed and new files and removes what the directory no longer has", () => {
    expect(
      planPush({ a: f("1"), b: f("2"), c: f("3") }, { a: f("1"), b: f("old"), d: f("4") }),
    ).toMatchObject({ upload: ["b", "c"], deleteRemote: ["d"] });
  });
  it("pull writes changed and new files and removes local extras", () => {
    expect(planPull({ a: f("1"), x: f("9") }, { a: f("2"), b: f("3") })).toMatchObject({
      download: ["a", "b"],
      deleteLocal: ["x"],
    });
  });
  it("two-way moves each side's changes and reports paths both sides changed differently", () => {
    const base = { same: f("0"), mine: f("0"), theirs: f("0"), both: f("0"), gone: f("0"), agreed: f("0") };
    const local = { same: f("0"), mine: f("L"), theirs: f("0"), both: f("L"), agreed: f("X"), added: f("N") };
    const remote = { same: f("0"), mine: f("0"), theirs: f("R"), both: f("R"), gone: f("0"), agreed: f("X") };
    expect(planTwoWay(base, local, remote)).toEqual({
      upload: ["added", "mine"],
      deleteRemote: ["gone"],
      download: ["theirs"],
      deleteLocal: [],
      conflicts: ["both"],
    });
  });
});

describe("merging a commit onto a newer head", () => {
  const base = { "a.txt": f("a0"), "b.txt": f("b0") };
  const head = { "a.txt": f("a1"), "b.txt": f("b0") };
  const merge = (
    strategy: "fail" | "ours" | "theirs" | "keep-both",
    ours: Changes = { put: { "a.txt": f("a2"), "c.txt": f("c") } },
  ) =>
    mergeChanges({
      workspace: "w",
      base,
      head,
      headCommit: "h".repeat(64),
      ours,
      ourCommitHint: "abcdef0123",
      strategy,
    });

  it("merges disjoint changes without asking", () => {
    expect(merge("fail", { put: { "c.txt": f("c") } }).manifest).toEqual({ ...head, "c.txt": f("c") });
  });
  it("applies each strategy to the overlapping path", () => {
    expect(() => merge("fail")).toThrow("conflicts with commit hhhhhhhhhhhh on 1 path(s): a.txt");
    expect(merge("ours").manifest["a.txt"]).toEqual(f("a2"));
    expect(merge("theirs").manifest).toEqual({ ...head, "c.txt": f("c") });
    expect(merge("keep-both").manifest).toEqual({
      ...head,
      "a.conflict-abcdef01.txt": f("a2"),
      "c.txt": f("c"),
    });
  });
  it("names conflict copies after the extension, or at the end without one", () => {
    expect(conflictCopyPath("dir/notes.md", "0123456789")).toBe("dir/notes.conflict-01234567.md");
    expect(conflictCopyPath("dir.v2/Makefile", "0123456789")).toBe("dir.v2/Makefile.conflict-01234567");
  });
});

describe("workspace paths", () => {
  it("accept ordinary relative paths", () => {
    expect(validatePath("src/index.ts")).toBe("src/index.ts");
    expect(validatePath("docs/ünïcode file.md")).toBe("docs/ünïcode file.md");
  });
  it("reject traversal, absolute paths, empty segments, control characters and over-long paths, saying why", () => {
    expect(() => validatePath("../x")).toThrow("has a '..' segment");
    expect(() => validatePath("/x")).toThrow("absolute paths are not allowed");
    expect(() => validatePath("a//b")).toThrow("has an empty segment");
    expect(() => validatePath("a\u0007b")).toThrow("contains a control character");
    expect(() => validatePath("a\\b")).toThrow("use '/' as the separator");
    expect(() => validatePath("")).toThrow("the path is empty");
    expect(() => validatePath("y".repeat(801))).toThrow("longer than 800 bytes");
  });
});
