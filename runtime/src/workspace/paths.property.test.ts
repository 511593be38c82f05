import { resolve, sep } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidPathError, LocalPathError } from "./errors.ts";
import { findClashes, MAX_PATH_BYTES, pathIdentity, validatePath } from "./paths.ts";
import { LocalTree } from "./sync/local-tree.ts";

/**
 * Properties of the path rules, for every string: a typed error or a path that stays inside the
 * directory it is written to — never a crash, never an escape.
 */

/** Any UTF-16 code units, lone surrogates included. */
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
/** Strings built from the pieces attacks are made of, so the dangerous cases come up often. */
const piece = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "",
    " ",
    "  ",
    "a",
    "b.txt",
    "\u00e9",
    "e\u0301",
    "\u200b",
    "\u202e",
    "C:",
    "\\",
  ),
  fc.constantFrom("..\\..", "/", "//", "\u0000", "\ud800", "\u3000", "__proto__", "%2e%2e", "\u2028"),
  fc.string({ unit: "binary", maxLength: 4 }),
);
const pathish = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join("/"));
const candidate = fc.oneof(pathish, anyUnits, fc.string({ unit: "binary" }));

const root = resolve("/srv/aios-target");
const tree = new LocalTree(root);
const outcome = (f: () => unknown): { value?: unknown; error?: unknown } => {
  try {
    return { value: f() };
  } catch (error) {
    return { error };
  }
};

describe("workspace paths, for every string", () => {
  it("validatePath gives an InvalidPathError, or the same string: relative, no dot segments, well-formed, within the size limit", () => {
    fc.assert(
      fc.property(candidate, (path) => {
        const { value, error } = outcome(() => validatePath(path));
        if (error !== undefined) return error instanceof InvalidPathError;
        const segments = path.split("/");
        return (
          value === path &&
          !path.startsWith("/") &&
          !path.includes("\\") &&
          segments.every((s) => s !== "" && s !== "." && s !== ".." && s.trim() !== "") &&
          Buffer.from(path, "utf8").toString("utf8") === path &&
          Buffer.byteLength(path) <= MAX_PATH_BYTES
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("a valid path resolves strictly inside the target directory; LocalTree refuses every other one with a typed error", () => {
    fc.assert(
      fc.property(candidate, (path) => {
        const { value, error } = outcome(() => tree.resolve(path));
        if (error !== undefined) return error instanceof InvalidPathError || error instanceof LocalPathError;
        return (
          typeof value === "string" &&
          value.startsWith(root + sep) &&
          value === resolve(root, ...path.split("/"))
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("findClashes reports only real clashes, and names every path that clashes (checked against a naive pairwise check)", () => {
    const valid = pathish.filter((p) => outcome(() => validatePath(p)).error === undefined);
    const names = fc.oneof(
      valid,
      fc.constantFrom("a", "a/b", "a/b/c", "\u00e9", "e\u0301", "\u00e9/x", "e\u0301/y"),
    );
    fc.assert(
      fc.property(fc.uniqueArray(names, { maxLength: 8 }), (paths) => {
        const clash = (a: string, b: string) =>
          a !== b &&
          (pathIdentity(a) === pathIdentity(b) || pathIdentity(b).startsWith(`${pathIdentity(a)}/`));
        const clashing = new Set(paths.filter((a) => paths.some((b) => clash(a, b) || clash(b, a))));
        const found = findClashes(paths);
        for (const {
          kind,
          paths: [a, b],
        } of found) {
          expect(clash(a, b)).toBe(true);
          expect(kind === "twins").toBe(pathIdentity(a) === pathIdentity(b));
        }
        expect(new Set(found.flatMap((c) => c.paths))).toEqual(clashing);
        expect(findClashes([...paths].reverse())).toHaveLength(found.length);
      }),
      { numRuns: 1000 },
    );
  });
});
