import { TYPES, type ResourceRule } from "./types.ts";

/** Management UIs and brokers must not be published on every interface by accident. */
export const boundPorts: ResourceRule = {
  name: "ports-bound-to-an-address",
  description: "Published container ports name the address they bind to, and it is not 0.0.0.0.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.container) return;
    for (const port of (args.props.ports ?? []) as { internal: number; external?: number; ip?: string }[]) {
      if (!port.ip || port.ip === "0.0.0.0" || port.ip === "::") {
        reportViolation(
          `container '${args.props.name}' publishes port ${port.internal} on all interfaces; set ip (e.g. 127.0.0.1)`,
        );
      }
    }
  },
};
