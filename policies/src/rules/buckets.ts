import type { PolicyResource } from "@pulumi/policy";
import { TYPES, configWithDefaults, envName, type ResourceRule, type StackRule } from "./types.ts";

interface Statement {
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly Action?: string | string[];
}

const toList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const isEveryone = (principal: unknown) =>
  principal === "*" || toList((principal as { AWS?: string | string[] } | undefined)?.AWS).includes("*");

const publicSchema = {
  properties: {
    // Buckets a person decided to serve anonymously (read-only); none by default.
    publicReadBuckets: { type: "array", items: { type: "string" }, default: [] },
  },
} as const;

/** Objects are private unless a person listed the bucket as public-read in the policy config. */
export const privateBuckets: ResourceRule = {
  name: "buckets-private",
  description:
    "Buckets use the private ACL, and no bucket policy grants anything to everyone (except read-only on listed buckets).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...publicSchema.properties } },
  validateResource: (args, reportViolation) => {
    const { publicReadBuckets } = configWithDefaults<{ publicReadBuckets: string[] }>(args, publicSchema);
    const bucket = String(args.props.bucket);
    if (args.type === TYPES.bucket && (args.props.acl ?? "private") !== "private") {
      reportViolation(`bucket '${bucket}' has ACL '${args.props.acl}'; use private`);
    }
    if (args.type !== TYPES.bucketPolicy) return;
    let statements: Statement[];
    try {
      statements = toList(
        (JSON.parse(String(args.props.policy ?? "{}")) as { Statement?: Statement | Statement[] }).Statement,
      );
    } catch {
      reportViolation(`bucket policy on '${bucket}' is not JSON`);
      return;
    }
    for (const statement of statements) {
      if (statement.Effect !== "Allow" || !isEveryone(statement.Principal)) continue;
      const actions = toList(statement.Action);
      const readOnly = actions.every((action) => action === "s3:GetObject");
      if (!publicReadBuckets.includes(bucket) || !readOnly) {
        reportViolation(`bucket policy on '${bucket}' grants ${actions.join(", ") || "access"} to everyone`);
      }
    }
  },
};

const lifecycleSchema = {
  properties: {
    // Buckets that must stay unversioned: the workspace refs (compare-and-swap needs conditional
    // writes, which Ceph RGW ignores on versioned buckets).
    unversionedBuckets: { type: "array", items: { type: "string" }, default: ["aios-workspace-refs"] },
  },
} as const;

const bucketOf = (resource: PolicyResource) => String(resource.props.bucket);

interface LifecycleRuleProps {
  readonly status?: string;
  readonly noncurrentVersionExpiration?: { readonly noncurrentDays?: number };
  readonly abortIncompleteMultipartUpload?: { readonly daysAfterInitiation?: number };
}

/**
 * Workspaces and artifacts are versioned (a deleted or overwritten object can be restored), and
 * versioning without expiry keeps every old version forever. Incomplete multipart uploads hold
 * space too: every bucket has a lifecycle rule aborting them, except on MinIO, which cannot store
 * that rule and aborts them server-side when its containers set MINIO_API_STALE_UPLOADS_EXPIRY.
 */
export const bucketsVersionedAndExpiring: StackRule = {
  name: "buckets-versioned-with-lifecycle",
  description:
    "Buckets are versioned (unless listed as unversioned), versioned buckets expire noncurrent versions, and incomplete multipart uploads are aborted (a lifecycle rule, or MinIO's stale-upload expiry).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...lifecycleSchema.properties } },
  validateStack: (args, reportViolation) => {
    const { unversionedBuckets } = configWithDefaults<{ unversionedBuckets: string[] }>(
      args,
      lifecycleSchema,
    );
    const ofType = (type: string) => args.resources.filter((r) => r.type === type);
    const versioned = new Set(
      ofType(TYPES.bucketVersioning)
        .filter(
          (r) => (r.props.versioningConfiguration as { status?: string } | undefined)?.status === "Enabled",
        )
        .map(bucketOf),
    );
    const withRule = (applies: (rule: LifecycleRuleProps) => boolean) =>
      new Set(
        ofType(TYPES.bucketLifecycle)
          .filter((r) =>
            ((r.props.rules ?? []) as LifecycleRuleProps[]).some(
              (rule) => (rule.status ?? "Enabled") === "Enabled" && applies(rule),
            ),
          )
          .map(bucketOf),
      );
    const expiring = withRule((rule) => (rule.noncurrentVersionExpiration?.noncurrentDays ?? 0) > 0);
    const abortingUploads = withRule(
      (rule) => (rule.abortIncompleteMultipartUpload?.daysAfterInitiation ?? 0) > 0,
    );
    const minioContainers = ofType(TYPES.container).filter((c) =>
      ((c.props.envs ?? []) as string[]).some((e) => envName(e).startsWith("MINIO_")),
    );
    const buckets = ofType(TYPES.bucket);
    for (const bucket of buckets) {
      const name = bucketOf(bucket);
      if (!versioned.has(name) && !unversionedBuckets.includes(name)) {
        reportViolation(
          `bucket '${name}' is not versioned: an overwritten or deleted object cannot be restored`,
          bucket.urn,
        );
      }
      if (versioned.has(name) && !expiring.has(name)) {
        reportViolation(`versioned bucket '${name}' never expires noncurrent versions`, bucket.urn);
      }
      if (minioContainers.length === 0 && !abortingUploads.has(name)) {
        reportViolation(
          `bucket '${name}' has no lifecycle rule aborting incomplete multipart uploads: their parts are kept`,
          bucket.urn,
        );
      }
    }
    for (const container of minioContainers) {
      if (
        !((container.props.envs ?? []) as string[]).some(
          (e) => envName(e) === "MINIO_API_STALE_UPLOADS_EXPIRY",
        )
      ) {
        reportViolation(
          `MinIO container '${container.props.name}' does not set MINIO_API_STALE_UPLOADS_EXPIRY: incomplete multipart uploads are kept`,
          container.urn,
        );
      }
    }
  },
};
