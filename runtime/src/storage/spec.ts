import { z } from "zod";
import { AiosError } from "../errors.ts";
import type { StorageErrorCode } from "./errors.ts";
import { formatLocation, readSpecFile, YamlSpecDocument } from "../yaml-spec.ts";

// S3's bucket-name rules, the strictest common subset (AWS, MinIO, Ceph RGW).
const bucketName = z
  .string()
  .min(3)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, "use lower-case letters, digits, '.' and '-' (3 to 63 characters)")
  .refine(
    (name) => !/\.\.|^\d+\.\d+\.\d+\.\d+$/.test(name),
    "must not contain '..' or look like an IP address",
  );

// S3 types a lifecycle rule's Days (Expiration, NoncurrentVersionExpiration's NoncurrentDays,
// AbortIncompleteMultipartUpload's DaysAfterInitiation) as a 32-bit Integer (the S3 API reference and
// its SDK models); a larger number cannot be stored by the server.
const MAX_LIFECYCLE_DAYS = 2 ** 31 - 1;
const lifecycleDays = z
  .number()
  .int()
  .min(1)
  .max(MAX_LIFECYCLE_DAYS, `S3 takes lifecycle days as a 32-bit integer: at most ${MAX_LIFECYCLE_DAYS}`);

const LifecycleSchema = z.strictObject({
  noncurrentVersionExpirationDays: lifecycleDays.optional(),
  abortIncompleteMultipartUploadDays: lifecycleDays.optional(),
  expirationDays: lifecycleDays.optional(),
});

/**
 * One bucket-policy statement as data. Resources are relative to the bucket: `prefix` covers
 * the objects under it (`arn:aws:s3:::<bucket>/<prefix>*`); `bucket: true` covers the bucket
 * itself (for s3:ListBucket).
 */
const PolicyStatementSchema = z.strictObject({
  sid: z.string().regex(/^[A-Za-z0-9]+$/, "letters and digits only (S3 Sid)"),
  effect: z.enum(["Allow", "Deny"]),
  /** "*" for anyone, or user ARNs (arn:aws:iam:::user/<name> on RGW and AWS). */
  principals: z.array(z.string().min(1)).min(1),
  actions: z.array(z.string().regex(/^s3:[A-Za-z*]+$/, "an S3 action like s3:GetObject")).min(1),
  prefix: z.string().default(""),
  bucket: z.boolean().default(false),
});

export const BucketSpecSchema = z.strictObject({
  name: bucketName,
  purpose: z.string().optional(),
  versioning: z.boolean(),
  lifecycle: LifecycleSchema.default({}),
  tags: z.record(z.string().regex(/^[A-Za-z0-9_.:/=+@ -]{1,128}$/), z.string().max(256)).default({}),
  /** Anonymous read access. Off by default; the policy pack refuses it for workspace buckets. */
  publicRead: z.boolean().default(false),
  /** Further bucket-policy statements; none by default (the bucket is private). */
  policy: z.array(PolicyStatementSchema).default([]),
});

export const StorageSpecSchema = z.strictObject({
  version: z.literal(1),
  buckets: z.array(BucketSpecSchema).min(1),
  workspaces: z.strictObject({
    blobBucket: bucketName,
    refBucket: bucketName,
    backupBucket: bucketName,
    agents: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/)).default([]),
  }),
});

/**
 * The storage spec (`config/storage.yaml`) as {@link loadStorageSpec} returns it: the buckets, each
 * with versioning, lifecycle, tags and policy.
 */
export type StorageSpec = z.infer<typeof StorageSpecSchema>;
/** One bucket of the {@link StorageSpec}. */
export type BucketSpec = z.infer<typeof BucketSpecSchema>;
/** A bucket's lifecycle rules in the {@link StorageSpec} (expiry of objects and old versions). */
export type LifecycleSpec = z.infer<typeof LifecycleSchema>;
/** One statement of a bucket policy in the {@link StorageSpec}. */
export type PolicyStatementSpec = z.infer<typeof PolicyStatementSchema>;

/** The storage spec is not valid: names the file, the path inside it and, when known, line and column. */
export class StorageSpecError extends AiosError<StorageErrorCode> {
  readonly file: string;
  readonly path: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(options: {
    file: string;
    path: string;
    line?: number | undefined;
    column?: number | undefined;
    message: string;
  }) {
    super(
      "STORAGE_INVALID_SPEC",
      `${formatLocation(options.file, options.line, options.column)}: ${options.path || "(root)"}: ${options.message}`,
    );
    this.file = options.file;
    this.path = options.path;
    this.line = options.line;
    this.column = options.column;
  }
}

/**
 * Parses and validates a storage spec: bucket names, lifecycle ranges, policies and the
 * workspace buckets' rules; refuses alias bombs and unknown keys.
 *
 * @throws {@link StorageSpecError} naming the file, the path in the document, its line and column; never
 *   another error, whatever the text.
 */
export function parseStorageSpec(text: string, options: { file?: string } = {}): StorageSpec {
  const file = options.file ?? "storage.yaml";
  const document = new YamlSpecDocument(text);
  const syntax = document.syntaxProblem();
  if (syntax) throw new StorageSpecError({ file, ...syntax });
  const parsed = document.parse(StorageSpecSchema);
  if (!parsed.ok) throw new StorageSpecError({ file, ...parsed.problem });
  const spec = parsed.value;
  const fail = (path: (string | number)[], message: string) => {
    throw new StorageSpecError({ file, ...document.problemAt(path, message) });
  };
  const seen = new Set<string>();
  spec.buckets.forEach((bucket, i) => {
    if (seen.has(bucket.name)) fail(["buckets", i, "name"], `duplicate bucket '${bucket.name}'`);
    seen.add(bucket.name);
    const sids = new Set<string>();
    bucket.policy.forEach((statement, j) => {
      if (sids.has(statement.sid) || (bucket.publicRead && statement.sid === "PublicRead"))
        fail(["buckets", i, "policy", j, "sid"], `duplicate statement id '${statement.sid}'`);
      sids.add(statement.sid);
    });
    if (bucket.lifecycle.noncurrentVersionExpirationDays !== undefined && !bucket.versioning) {
      fail(
        ["buckets", i, "lifecycle", "noncurrentVersionExpirationDays"],
        "only a versioned bucket has noncurrent versions",
      );
    }
  });
  const byName = new Map(spec.buckets.map((b) => [b.name, b]));
  for (const role of ["blobBucket", "refBucket", "backupBucket"] as const) {
    const bucket = byName.get(spec.workspaces[role]);
    if (!bucket) fail(["workspaces", role], `unknown bucket '${spec.workspaces[role]}'`);
    if (bucket?.publicRead)
      fail(["workspaces", role], `workspace bucket '${bucket.name}' must not be public`);
    const open = bucket?.policy.findIndex((st) => st.effect === "Allow" && st.principals.includes("*"));
    if (bucket && open !== undefined && open >= 0) {
      fail(
        ["buckets", spec.buckets.indexOf(bucket), "policy", open, "principals"],
        `workspace bucket '${bucket.name}' must not grant access to everyone`,
      );
    }
  }
  // Conditional writes (the compare-and-swap of workspace heads) are ignored by Ceph RGW in versioned buckets.
  if (byName.get(spec.workspaces.refBucket)?.versioning) {
    fail(
      ["workspaces", "refBucket"],
      "the ref bucket must be unversioned: its compare-and-swap relies on conditional writes",
    );
  }
  if (!byName.get(spec.workspaces.blobBucket)?.versioning) {
    fail(
      ["workspaces", "blobBucket"],
      "the blob bucket must be versioned so a deleted workspace can be restored",
    );
  }
  return spec;
}

/**
 * Reads and parses a storage spec file (see parseStorageSpec).
 *
 * @throws {@link StorageSpecError} naming the file, also when it cannot be read.
 */
export async function loadStorageSpec(path: string): Promise<StorageSpec> {
  const text = await readSpecFile(path, (problem) => new StorageSpecError(problem));
  return parseStorageSpec(text, { file: path });
}
