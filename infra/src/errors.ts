import { AiosError } from "@aios/runtime";

/** Stack configuration (`aios:*` keys) that cannot be used; `key` names it as `pulumi config` does. */
export class InfraConfigError extends AiosError {
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super("INFRA_INVALID_CONFIG", `stack config ${key}: ${message}`, options);
    this.key = key;
  }
}

/** A spec (config/*.yaml) that loads fine but cannot be expressed with the installed providers. */
export class InfraPlanError extends AiosError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INFRA_UNSUPPORTED_SPEC", message, options);
  }
}

/** config/observability.yaml cannot be used; `where` names the key, e.g. `prometheus.stack.retention.size`. */
export class ObservabilityConfigError extends AiosError {
  readonly where: string;

  constructor(where: string, message: string, options?: { cause?: unknown }) {
    super("INFRA_INVALID_OBSERVABILITY_CONFIG", `config/observability.yaml ${where}: ${message}`, options);
    this.where = where;
  }
}
