import { describe, expect, it } from "vitest";
import { InvalidPathError } from "./errors.ts";
import { findClashes, MAX_PATH_BYTES, validatePath } from "./paths.ts";

describe("the workspace path rules", () => {
  it.each([
    "a.txt",
    "notes/plan.md",
    "deep/er/still/file",
    "caf\u00e9/r\u00e9sum\u00e9.md",
    "cafe\u0301.md",
    "with space.md",
    " leading and trailing ",
    "日本語/ファイル.txt",
    "emoji-😀.txt",
    ".hidden",
    "...",
    "constructor",
    "a/__proto__",
  ])("accepts %j, unchanged", (path) => {
    expect(validatePath(path)).toBe(path);
  });

  it.each([
    ["", "empty"],
    ["/etc/passwd", "absolute"],
    ["C:/x", "drive letter"],
    ["a\\b", "separator"],
    ["../x", "'..' segment"],
    ["a/../../x", "'..' segment"],
    ["./x", "'.' segment"],
    ["a//b", "empty segment"],
    ["a/", "empty segment"],
    [" ", "only of whitespace"],
    ["a/   /b", "only of whitespace"],
    ["\u3000", "only of whitespace"],
    ["\u00a0", "only of whitespace"],
    ["\u200b", "invisible"],
    ["a\u200db", "invisible"],
    ["\ufeffbom", "invisible"],
    ["invoice\u202etxt.exe", "invisible"],
    ["a\u2066b", "invisible"],
    ["line\u2028break", "invisible"],
    ["\ud800", "lone UTF-16 surrogate"],
    ["x\udfffy", "lone UTF-16 surrogate"],
    ["tab\there", "control character"],
    ["nul\u0000", "control character"],
    ["c1\u0085", "control character"],
    ["__proto__", "reserved"],
    ["x".repeat(MAX_PATH_BYTES + 1), "longer than"],
  ])("refuses %j (%s) with a typed error", (path, reason) => {
    const error = (() => {
      try {
        validatePath(path);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidPathError);
    expect(error).toMatchObject({ code: "WORKSPACE_INVALID_PATH", path });
    expect((error as InvalidPathError).reason).toContain(reason);
  });

  it("shows invisible characters escaped in the error message", () => {
    expect(() => validatePath("a\u202eb")).toThrow(/a\\u\{202e\}b/);
  });

  it("refuses what is not a string (as a path read from JSON may be)", () => {
    for (const value of [42, null, undefined, {}, ["a"]])
      expect(() => validatePath(value)).toThrow(InvalidPathError);
  });
});

describe("path clashes", () => {
  it("finds a file that is also a folder's name, at any depth", () => {
    expect(findClashes(["a", "a/b", "c/d", "c/d/e/f", "cd"])).toEqual([
      { kind: "file-and-folder", paths: ["a", "a/b"] },
      { kind: "file-and-folder", paths: ["c/d", "c/d/e/f"] },
    ]);
  });

  it("finds Unicode normalisation twins, also as folder names", () => {
    const nfc = "caf\u00e9";
    const nfd = "cafe\u0301";
    expect(findClashes([nfc, nfd])).toEqual([{ kind: "twins", paths: [nfd, nfc] }]);
    expect(findClashes([nfc, `${nfd}/x`])).toEqual([{ kind: "file-and-folder", paths: [nfc, `${nfd}/x`] }]);
  });

  it("finds nothing in a tree a directory can hold (prefixes that are not folders do not count)", () => {
    expect(findClashes(["a.txt", "a.txt.bak", "ab/c", "a b/c", "A", "a"])).toEqual([]);
  });
});
