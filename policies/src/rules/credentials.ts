import { TYPES, configWithDefaults, envName, type ResourceRule } from "./types.ts";

// Names that carry a credential. `*_FILE` / `*__FILE` variants point at a file and are fine.
const CREDENTIAL_NAME =
  /(PASS|PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|ACCESS_KEY|SECRET_KEY|PRIVATE_KEY|CREDENTIALS?)$/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]+:[^/@\s]+@/i;

/**
 * `docker inspect` and every process in the container see the environment, and a preview shows a
 * plain input in clear. Credentials go into files (uploads from Pulumi secrets) instead. The
 * policy engine sees secrets unwrapped, so the rule judges names and URLs, not secretness.
 */
export const noCredentialsInEnv: ResourceRule = {
  name: "no-credentials-in-container-env",
  description:
    "Container environments carry no passwords, keys or URLs with credentials; use *_FILE and uploads from secrets.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.container) return;
    for (const entry of (args.props.envs ?? []) as string[]) {
      const name = envName(entry);
      const value = entry.slice(name.length + 1);
      if (/_FILE$/.test(name)) continue;
      if (CREDENTIAL_NAME.test(name)) {
        reportViolation(
          `container '${args.props.name}' sets ${name} in its environment; upload the value as a file from a secret and set ${name}_FILE`,
        );
      } else if (URL_WITH_PASSWORD.test(value)) {
        reportViolation(
          `container '${args.props.name}' sets ${name} to a URL with a password; upload it as a file from a secret`,
        );
      }
    }
  },
};

const defaultCredentialsSchema = {
  properties: {
    // The well-known defaults of the images and tools this platform runs.
    defaults: { type: "array", items: { type: "string" }, default: ["guest", "minioadmin", "admin"] },
  },
} as const;

// Input names (at any depth) that carry a user name, password or key.
const CREDENTIAL_KEY = /(user(name)?|pass(word)?|secret|access_?key|secret_?key|auth|credential|token)$/i;

/** Where in `value` a default credential sits, as JSON-ish paths with what was found. */
function findDefaults(value: unknown, defaults: readonly string[], path: string, found: string[]): void {
  const isDefault = (text: string) => defaults.includes(text.trim().toLowerCase());
  if (typeof value === "string") {
    const key = path.split(/[.[]/).at(-1)?.replace(/]$/, "") ?? "";
    if (CREDENTIAL_KEY.test(key) && isDefault(value)) found.push(`${path} is '${value}'`);
    // user:password pairs: URLs (amqp://guest:guest@…), basic-auth strings (admin:admin).
    for (const match of value.matchAll(/(?:^|\/\/)([^\s:/@]+):([^\s/@]+)(?:@|$)/g)) {
      if (isDefault(match[1] ?? "") || isDefault(match[2] ?? ""))
        found.push(`${path} carries '${match[1]}:…'`);
    }
    // KEY=value environment entries and `key = value` config lines (rabbitmq.conf default_user).
    for (const line of value.split("\n")) {
      const entry = /^\s*([A-Za-z0-9_.]+)\s*[=:]\s*(\S+)\s*$/.exec(line);
      if (entry && /user|pass|secret|key/i.test(entry[1] ?? "") && isDefault(entry[2] ?? "")) {
        found.push(`${path} sets ${entry[1]} to '${entry[2]}'`);
      }
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => findDefaults(item, defaults, `${path}[${i}]`, found));
    return;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value))
      findDefaults(item, defaults, path === "" ? key : `${path}.${key}`, found);
  }
}

/**
 * No resource uses a well-known default credential (guest, minioadmin, admin) as a user name or
 * password, in any input: anyone who knows the image knows it. The policy engine sees secrets in
 * clear, so secret inputs are checked too.
 */
export const noDefaultCredentials: ResourceRule = {
  name: "no-default-credentials",
  description:
    "No input sets a well-known default credential (guest, minioadmin, admin) as a user or password.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...defaultCredentialsSchema.properties } },
  validateResource: (args, reportViolation) => {
    const { defaults } = configWithDefaults<{ defaults: string[] }>(args, defaultCredentialsSchema);
    const found: string[] = [];
    findDefaults(
      args.props,
      defaults.map((d) => d.toLowerCase()),
      "",
      found,
    );
    for (const where of [...new Set(found)]) {
      reportViolation(
        `${args.type} '${args.name}': ${where} (a well-known default credential); use a generated or stack secret`,
      );
    }
  },
};
