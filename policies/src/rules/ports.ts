import { TYPES, configWithDefaults, type ResourceRule } from "./types.ts";

interface Port {
  readonly internal: number;
  readonly external?: number;
  readonly ip?: string;
}

const WILDCARDS = new Set(["", "0.0.0.0", "::", "[::]"]);
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Docker publishes a port on every interface unless told otherwise. */
export const portsBoundToAnAddress: ResourceRule = {
  name: "ports-bound-to-an-address",
  description: "Published container ports name the address they bind to, and it is not a wildcard.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.container) return;
    for (const port of (args.props.ports ?? []) as Port[]) {
      if (WILDCARDS.has(port.ip ?? "")) {
        reportViolation(
          `container '${args.props.name}' publishes port ${port.internal} on all interfaces; set ip (e.g. 127.0.0.1)`,
        );
      }
    }
  },
};

const managementSchema = {
  properties: {
    managementPorts: {
      type: "array",
      items: { type: "integer" },
      // RabbitMQ management and Prometheus plugin, MinIO console, Prometheus, Grafana.
      default: [15672, 15692, 9001, 9090, 3000],
    },
  },
} as const;

/** Admin UIs without TLS stay on loopback; reach them through an SSH tunnel or a TLS proxy. */
export const managementPortsOnLoopback: ResourceRule = {
  name: "management-ports-on-loopback",
  description:
    "Management and monitoring ports (RabbitMQ management, MinIO console, Prometheus, Grafana) are published on 127.0.0.1 only.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...managementSchema.properties } },
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.container) return;
    const { managementPorts } = configWithDefaults<{ managementPorts: number[] }>(args, managementSchema);
    for (const port of (args.props.ports ?? []) as Port[]) {
      if (managementPorts.includes(port.internal) && !LOOPBACK.has(port.ip ?? "")) {
        reportViolation(
          `container '${args.props.name}' publishes management port ${port.internal} on ${port.ip || "all interfaces"}; publish it on 127.0.0.1`,
        );
      }
    }
  },
};
