import { TYPES, envName, type ResourceRule } from "./types.ts";

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
