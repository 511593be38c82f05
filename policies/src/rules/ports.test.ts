import { describe, expect, it } from "vitest";
import { resourceViolations } from "../testing/validate.ts";
import { managementPortsOnLoopback, portsBoundToAnAddress } from "./ports.ts";
import { TYPES } from "./types.ts";

const container = (ports: { internal: number; ip?: string }[]) => ({
  type: TYPES.container,
  props: { name: "aios-dev-rabbitmq", ports },
});

describe("ports-bound-to-an-address", () => {
  it("accepts ports published on a named address", async () => {
    expect(
      await resourceViolations(portsBoundToAnAddress, container([{ internal: 5672, ip: "10.0.0.5" }])),
    ).toEqual([]);
  });

  it("refuses ports published on every interface, explicit or by omission", async () => {
    expect(
      await resourceViolations(
        portsBoundToAnAddress,
        container([{ internal: 5672 }, { internal: 5671, ip: "0.0.0.0" }]),
      ),
    ).toEqual([
      "container 'aios-dev-rabbitmq' publishes port 5672 on all interfaces; set ip (e.g. 127.0.0.1)",
      "container 'aios-dev-rabbitmq' publishes port 5671 on all interfaces; set ip (e.g. 127.0.0.1)",
    ]);
  });
});

describe("management-ports-on-loopback", () => {
  it("accepts management ports on 127.0.0.1 and AMQP on another address", async () => {
    const ports = [
      { internal: 15672, ip: "127.0.0.1" },
      { internal: 5672, ip: "10.0.0.5" },
    ];
    expect(await resourceViolations(managementPortsOnLoopback, container(ports))).toEqual([]);
  });

  it("refuses the management UI on a routable address", async () => {
    expect(
      await resourceViolations(managementPortsOnLoopback, container([{ internal: 15672, ip: "10.0.0.5" }])),
    ).toEqual([
      "container 'aios-dev-rabbitmq' publishes management port 15672 on 10.0.0.5; publish it on 127.0.0.1",
    ]);
  });

  it("takes the list of management ports from the policy config", async () => {
    const exposed = container([{ internal: 8080, ip: "10.0.0.5" }]);
    expect(await resourceViolations(managementPortsOnLoopback, exposed)).toEqual([]);
    expect(
      await resourceViolations(managementPortsOnLoopback, exposed, { managementPorts: [8080] }),
    ).toHaveLength(1);
  });
});
