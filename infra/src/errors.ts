import { AiosError } from "@aios/runtime";

/** Every `code` an infra error can carry (the SDK's own codes are `AiosErrorCode`). */
export type InfraErrorCode =
  "INFRA_INVALID_CONFIG" | "INFRA_UNSUPPORTED_SPEC" | "INFRA_INVALID_OBSERVABILITY_CONFIG";

/** Stack configuration (`aios:*` keys) that cannot be used; `key` names it as `pulumi config` does. */
export class InfraConfigError extends AiosError<InfraErrorCode> {
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super("INFRA_INVALID_CONFIG", `stack config ${key}: ${message}`, options);
    this.key = key;
  }
}

/** A spec (config/*.yaml) that loads fine but cannot be expressed with the installed providers. */
export class InfraPlanError extends AiosError<InfraErrorCode> {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INFRA_UNSUPPORTED_SPEC", message, options);
  }
}

/** config/observability.yaml cannot be used; `where` names the key, e.g. `prometheus.stack.retention.size`. */
export class ObservabilityConfigError extends AiosError<InfraErrorCode> {
  readonly where: string;

  constructor(where: string, message: string, options?: { cause?: unknown }) {
    super("INFRA_INVALID_OBSERVABILITY_CONFIG", `config/observability.yaml ${where}: ${message}`, options);
    this.where = where;
  }
}
