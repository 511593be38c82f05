import { TYPES, type ResourceRule, type StackRule } from "./types.ts";

/** Objects are private unless a person decided otherwise in config/storage.yaml. */
export const privateBuckets: ResourceRule = {
  name: "buckets-private",
  description: "Buckets use the private ACL and no bucket policy grants access to everyone.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type === TYPES.bucket && args.props.acl !== "private") {
      reportViolation(`bucket '${args.props.bucket}' has ACL '${args.props.acl}'; use private`);
    }
    if (args.type === TYPES.bucketPolicy) {
      const policy = JSON.parse(String(args.props.policy ?? "{}")) as {
        Statement?: { Effect: string; Principal?: unknown }[];
      };
      const open = (policy.Statement ?? []).some(
        (s) => s.Effect === "Allow" && JSON.stringify(s.Principal ?? "").includes('"*"'),
      );
      if (open && String(args.props.bucket).includes("workspace")) {
        reportViolation(`bucket policy on '${args.props.bucket}' opens agent workspaces to everyone`);
      }
    }
  },
};

/** Versioning without lifecycle keeps every old version forever: storage grows without bound. */
export const versionedBucketsExpire: StackRule = {
  name: "versioned-buckets-expire-old-versions",
  description: "Every versioned bucket has a lifecycle rule that expires noncurrent versions.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const expiring = new Set(
      args.resources
        .filter((r) => r.type === TYPES.ilmPolicy)
        .filter((r) =>
          ((r.props.rules ?? []) as { noncurrentVersionExpirationDays?: number }[]).some(
            (rule) => rule.noncurrentVersionExpirationDays,
          ),
        )
        .map((r) => String(r.props.bucket)),
    );
    for (const versioning of args.resources.filter((r) => r.type === TYPES.bucketVersioning)) {
      const bucket = String(versioning.props.bucket);
      if (!expiring.has(bucket))
        reportViolation(`versioned bucket '${bucket}' never expires noncurrent versions`, versioning.urn);
    }
  },
};
