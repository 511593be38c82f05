import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { anyDocument } from "../testing/yaml-arbitraries.ts";
import { parseStorageSpec, type StorageSpec, StorageSpecError } from "./spec.ts";

const FILE = "under-test/storage.yaml";
const realSpec = readFileSync("config/storage.yaml", "utf8");
// Run counts keep the file to a few seconds on a quiet machine.
const DOCUMENTS = 200;
const VALID_SPECS = 30;
const MAX_S3_INTEGER = 2 ** 31 - 1;

/** A value S3 refuses in an accepted spec; undefined when it takes all of it. */
function refusedByS3(spec: StorageSpec): string | undefined {
  for (const bucket of spec.buckets) {
    for (const [rule, days] of Object.entries(bucket.lifecycle)) {
      if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= MAX_S3_INTEGER)) {
        return `${bucket.name} ${rule}=${days}`;
      }
    }
  }
  return undefined;
}

/** "ok", "refused" (the loader's typed error naming the file), or it throws: the property fails. */
function outcome(text: string): "ok" | "refused" {
  try {
    const spec = parseStorageSpec(text, { file: FILE });
    const refusal = refusedByS3(spec);
    if (refusal) throw new Error(`the loader accepted what S3 refuses: ${refusal}`);
    return "ok";
  } catch (error) {
    if (error instanceof StorageSpecError && error.file === FILE && error.message.startsWith(FILE)) {
      return "refused";
    }
    throw error;
  }
}

const bucketWord = fc.stringMatching(/^[a-z0-9]{1,10}$/);
const days = fc.option(fc.integer({ min: 1, max: MAX_S3_INTEGER }), { nil: undefined });
const lifecycle = (versioned: boolean) =>
  fc
    .record({
      noncurrentVersionExpirationDays: days,
      abortIncompleteMultipartUploadDays: days,
      expirationDays: days,
    })
    .map((l) =>
      Object.fromEntries(
        Object.entries(l).filter(
          ([rule, value]) => value !== undefined && (versioned || rule !== "noncurrentVersionExpirationDays"),
        ),
      ),
    );

/** A valid spec: the three workspace buckets with their required versioning, and a few others. */
const validSpec = fc
  .record({
    words: fc.uniqueArray(bucketWord, { minLength: 3, maxLength: 6 }),
    versioning: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    agents: fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/), { maxLength: 4 }),
    tags: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_.:/=+@-]{1,20}$/), fc.string({ maxLength: 30 }), {
      maxKeys: 3,
    }),
  })
  .chain(({ words, versioning, agents, tags }) => {
    const names = words.map((w) => `aios-${w}`);
    // blob: versioned; refs: unversioned; backups and the others: as generated.
    const versioned = names.map((_, i) => (i === 0 ? true : i === 1 ? false : (versioning[i] ?? false)));
    return fc.tuple(...names.map((_, i) => lifecycle(versioned[i] ?? false))).map((lifecycles) => ({
      version: 1,
      buckets: names.map((name, i) => ({ name, versioning: versioned[i], lifecycle: lifecycles[i], tags })),
      workspaces: { blobBucket: names[0], refBucket: names[1], backupBucket: names[2], agents },
    }));
  });

describe("the storage loader, for every document", () => {
  it("returns a spec S3 accepts or throws StorageSpecError naming the file — never another error", () => {
    let refused = 0;
    fc.assert(
      fc.property(anyDocument(realSpec), (text) => {
        if (outcome(text) === "refused") refused++;
      }),
      { numRuns: DOCUMENTS },
    );
    expect(refused).toBeGreaterThan(DOCUMENTS / 4);
    expect(refused).toBeLessThan(DOCUMENTS);
  });

  it("accepts every valid spec, whatever its YAML style, and reads it the same way every time", () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        const block = stringify(spec);
        const parsed = parseStorageSpec(block, { file: FILE });
        expect(parseStorageSpec(block, { file: FILE })).toEqual(parsed);
        expect(parseStorageSpec(stringify(spec, { collectionStyle: "flow" }), { file: FILE })).toEqual(
          parsed,
        );
        expect(parseStorageSpec(JSON.stringify(spec), { file: FILE })).toEqual(parsed);
        expect(parsed.buckets.map((b) => b.name)).toEqual(spec.buckets.map((b) => b.name));
        expect(parsed.buckets.map((b) => b.lifecycle)).toEqual(spec.buckets.map((b) => b.lifecycle));
      }),
      { numRuns: VALID_SPECS },
    );
  });
});
