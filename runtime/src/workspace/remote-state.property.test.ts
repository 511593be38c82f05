import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidRemoteStateError } from "./errors.ts";
import { type Manifest, serialize, sha256 } from "./manifest.ts";
import { validatePath } from "./paths.ts";
import { isId, parseCommit, parseManifest, validateManifest } from "./remote-state.ts";

/**
 * Properties of state read back from storage, for every input: an InvalidRemoteStateError, or a
 * manifest whose every path passes the path rules and every entry is well-formed — never a crash.
 */

const source = { workspace: "w", key: "workspaces/w/manifests/x", commit: "c" };
const hex = fc.stringMatching(/^[0-9a-f]{64}$/);

/** The result holds only valid paths and well-formed entries. */
function wellFormed(manifest: Manifest): boolean {
  return Object.entries(manifest).every(
    ([path, entry]) =>
      validatePath(path) === path &&
      isId(entry.sha256) &&
      Number.isSafeInteger(entry.size) &&
      entry.size >= 0 &&
      (entry.pack === undefined
        ? entry.offset === undefined
        : isId(entry.pack) && Number.isSafeInteger(entry.offset)),
  );
}

function typedOrValid(parse: () => Manifest): boolean {
  let manifest: Manifest;
  try {
    manifest = parse();
  } catch (error) {
    return error instanceof InvalidRemoteStateError;
  }
  return wellFormed(manifest);
}

const goodEntry = fc.oneof(
  fc.record({ sha256: hex, size: fc.nat() }),
  fc.record({ sha256: hex, size: fc.nat(), pack: hex, offset: fc.nat() }),
);
const anyEntry = fc.oneof(goodEntry, fc.jsonValue(), fc.record({ sha256: fc.string(), size: fc.integer() }));
const anyKey = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("../x", "a/../../b", "/abs", "\u200b", " ", "a\\b", "ok.txt", "dir/ok.md", "__proto__"),
);
const validKey = fc
  .stringMatching(/^[a-z]{1,6}(\/[a-z0-9.]{1,6}){0,3}$/)
  .filter((p) => !/(^|\/)\.\.?(\/|$)/.test(p));

describe("manifests as read back from storage", () => {
  it("arbitrary bytes stored under their own hash: a typed error or a valid manifest", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        return typedOrValid(() => parseManifest(buffer, sha256(buffer), source));
      }),
      { numRuns: 500 },
    );
  });

  it("arbitrary JSON: a typed error or a valid manifest", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => typedOrValid(() => validateManifest(value, source))),
      { numRuns: 500 },
    );
  });

  it("objects shaped like manifests, with hostile keys and entries: a typed error or a valid manifest", () => {
    fc.assert(
      fc.property(fc.dictionary(anyKey, anyEntry, { maxKeys: 6 }), (value) => {
        const bytes = Buffer.from(JSON.stringify(value));
        return typedOrValid(() => parseManifest(bytes, sha256(bytes), source));
      }),
      { numRuns: 1000 },
    );
  });

  it("a valid manifest comes back exactly as it was written; the same bytes under another id are refused", () => {
    fc.assert(
      fc.property(fc.dictionary(validKey, goodEntry, { maxKeys: 8 }), hex, (manifest, otherId) => {
        const bytes = Buffer.from(serialize(manifest));
        expect(parseManifest(bytes, sha256(bytes), source)).toEqual(manifest);
        if (otherId !== sha256(bytes))
          expect(() => parseManifest(bytes, otherId, source)).toThrow(InvalidRemoteStateError);
      }),
      { numRuns: 300 },
    );
  });

  it("commits: arbitrary bytes or JSON give a typed error or a commit whose ids are ids", () => {
    const commitish = fc.oneof(
      fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? "")),
      fc
        .record({
          parent: fc.oneof(fc.constant(null), hex, fc.string()),
          manifest: fc.oneof(hex, fc.string()),
          author: fc.string(),
          message: fc.string(),
          time: fc.oneof(fc.string(), fc.integer()),
        })
        .map((c) => Buffer.from(JSON.stringify(c))),
    );
    fc.assert(
      fc.property(commitish, (bytes) => {
        try {
          const commit = parseCommit(bytes, sha256(bytes), source);
          return (
            (commit.parent === null || isId(commit.parent)) &&
            isId(commit.manifest) &&
            typeof commit.time === "string"
          );
        } catch (error) {
          return error instanceof InvalidRemoteStateError;
        }
      }),
      { numRuns: 500 },
    );
  });
});
