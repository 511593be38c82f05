import type { HealthCheck } from "./check.ts";

/** The broker answers a round trip on the process' connection (not just an open socket). */
export function brokerCheck(
  connection: { healthProbe(timeoutMs?: number): Promise<void> },
  name = "rabbitmq",
): HealthCheck {
  return { name, check: () => connection.healthProbe(1500) };
}

/** An HTTP endpoint answers 2xx: Prometheus' /-/ready, the management API, a peer's /ready. */
export function httpCheck(options: {
  readonly name: string;
  readonly url: string;
  readonly critical?: boolean;
  readonly headers?: Record<string, string>;
}): HealthCheck {
  return {
    name: options.name,
    ...(options.critical === undefined ? {} : { critical: options.critical }),
    async check(signal) {
      const response = await fetch(options.url, {
        signal,
        ...(options.headers ? { headers: options.headers } : {}),
      });
      if (!response.ok) throw new Error(`${options.url} answered HTTP ${response.status}`);
      return { httpStatus: response.status };
    },
  };
}
