import { TYPES, configWithDefaults, type ResourceRule } from "./types.ts";

const schema = {
  properties: {
    // The platform's own administrators: the operators' admin and the user the Pulumi provider
    // logs in as (created by the broker's boot-time definitions).
    administrators: { type: "array", items: { type: "string" }, default: ["aios-admin", "aios-provisioner"] },
  },
} as const;

const ELEVATED_TAGS = ["administrator", "policymaker", "monitoring", "management"];

/** Agents get least-privilege users; only the platform's own admin may administer. */
export const noElevatedUsers: ResourceRule = {
  name: "rabbitmq-users-not-administrators",
  description: "RabbitMQ users carry no administrator/management tags, except the platform's administrator.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...schema.properties } },
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.user) return;
    const { administrators } = configWithDefaults<{ administrators: string[] }>(args, schema);
    const name = String(args.props.name);
    if (administrators.includes(name)) return;
    const elevated = ((args.props.tags ?? []) as string[]).filter((tag) => ELEVATED_TAGS.includes(tag));
    if (elevated.length > 0) reportViolation(`user '${name}' has elevated tags: ${elevated.join(", ")}`);
  },
};

const MATCHES_EVERYTHING = new Set([".*", "^.*$", "^.*", ".*$", ".+", "^.+$"]);

/** `.*` grants every queue and exchange of the vhost: no agent needs that. */
export const leastPrivilegePermissions: ResourceRule = {
  name: "rabbitmq-permissions-least-privilege",
  description: "Vhost permissions of users other than the administrator are not `.*` (everything).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...schema.properties } },
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.permissions) return;
    const { administrators } = configWithDefaults<{ administrators: string[] }>(args, schema);
    const user = String(args.props.user);
    if (administrators.includes(user)) return;
    const permissions = (args.props.permissions ?? {}) as Record<string, string>;
    for (const kind of ["configure", "write", "read"]) {
      if (MATCHES_EVERYTHING.has(permissions[kind] ?? "")) {
        reportViolation(
          `user '${user}' may ${kind} everything in vhost '${args.props.vhost}' ('${permissions[kind]}')`,
        );
      }
    }
  },
};
