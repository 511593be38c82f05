import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp, { type ChannelModel, type ConfirmChannel } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { createTestVhost, managementRequest, type TestVhost } from "../testing/broker.ts";
import { applyTopology } from "./apply.ts";
import { TopologyMismatchError } from "./errors.ts";
import { parseTopologySpec } from "./load-spec.ts";
import type { ResolvedTopology } from "./model.ts";
import { fetchLiveTopology, verifyTopology } from "./verify.ts";

const specFor = (vhost: string): ResolvedTopology => parseTopologySpec(specText(vhost));

async function nextMessage(channel: ConfirmChannel, queue: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const message = await channel.get(queue, { noAck: true });
    if (message) return message;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no message on ${queue} within ${timeoutMs} ms`);
}

describe("a topology applied to a real broker", () => {
  let vhost: TestVhost;
  let topology: ResolvedTopology;
  let connection: ChannelModel;
  let channel: ConfirmChannel;

  beforeAll(async () => {
    vhost = await createTestVhost("topology");
    topology = specFor(vhost.vhost);
    await applyTopology(topology, { url: vhost.amqpUrl });
    connection = await amqp.connect(vhost.amqpUrl);
    channel = await connection.createConfirmChannel();
  });
  afterAll(async () => {
    await connection?.close();
    await vhost?.dispose();
  });

  it("declares every queue with its arguments, and applying again changes nothing", async () => {
    await expect(applyTopology(topology, { url: vhost.amqpUrl })).resolves.toEqual({
      exchanges: 2,
      queues: 8,
      bindings: 5,
    });
    const live = await fetchLiveTopology(vhost.vhost, { apiUrl: vhost.apiUrl });
    const coder = live.queues.find((q) => q.name === "agents.coder");
    expect(coder?.arguments).toMatchObject({
      "x-max-priority": 10,
      "x-dead-letter-exchange": "aios.dead-letter",
      "x-dead-letter-routing-key": "agents.coder",
    });
    expect(live.queues.find((q) => q.name === "agents.coder.retry.300ms")?.arguments).toMatchObject({
      "x-message-ttl": 300,
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "agents.coder",
    });
    expect(await verifyTopology(topology, { apiUrl: vhost.apiUrl })).toEqual([]);
  });

  it("routes by agent type", async () => {
    channel.publish("aios.tasks", "coder.implement", Buffer.from("for the coder"));
    channel.publish("aios.tasks", "reviewer.review", Buffer.from("for the reviewer"));
    await channel.waitForConfirms();
    expect((await nextMessage(channel, "agents.coder")).content.toString()).toBe("for the coder");
    expect((await nextMessage(channel, "agents.reviewer")).content.toString()).toBe("for the reviewer");
  });

  it("dead-letters a message whose TTL expired into the queue's DLQ", async () => {
    channel.publish("aios.tasks", "reviewer.review", Buffer.from("will expire"));
    await channel.waitForConfirms();
    const dead = await nextMessage(channel, "agents.reviewer.dlq");
    expect(dead.content.toString()).toBe("will expire");
    const death = (dead.properties.headers?.["x-death"] as { reason: string; queue: string }[])[0];
    expect(death).toMatchObject({ reason: "expired", queue: "agents.reviewer" });
  });

  it("returns a message parked in a retry tier to its work queue once the tier's delay has passed", async () => {
    const sent = Date.now();
    channel.sendToQueue("agents.coder.retry.300ms", Buffer.from("retry me"));
    await channel.waitForConfirms();
    const back = await nextMessage(channel, "agents.coder");
    const waited = Date.now() - sent;
    expect(back.content.toString()).toBe("retry me");
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(3000);
  });

  it("delivers higher priorities first on a priority queue", async () => {
    for (const priority of [1, 9, 5]) {
      channel.publish("aios.tasks", "coder.implement", Buffer.from(String(priority)), { priority });
    }
    await channel.waitForConfirms();
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await nextMessage(channel, "agents.coder")).content.toString());
    expect(order).toEqual(["9", "5", "1"]);
  });

  it("reports each drift after the broker was changed by hand", async () => {
    const v = encodeURIComponent(vhost.vhost);
    await managementRequest(
      vhost.apiUrl,
      "DELETE",
      `/api/bindings/${v}/e/aios.tasks/q/agents.reviewer/reviewer.*`,
    );
    await managementRequest(vhost.apiUrl, "PUT", `/api/queues/${v}/stray`, { durable: true });
    const drifts = await verifyTopology(topology, { apiUrl: vhost.apiUrl });
    expect(drifts.map((d) => d.description)).toEqual([
      "queue 'stray' exists but is not in the spec",
      "binding aios.tasks → agents.reviewer with key 'reviewer.*' is missing",
    ]);

    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as typeof process.stdout.write;
    process.exitCode = undefined;
    try {
      const file = join(tmpdir(), `topology-${vhost.vhost}.yaml`);
      await writeFile(file, specText(vhost.vhost));
      const code = await main([
        "node",
        "aios",
        "topology",
        "verify",
        "--file",
        file,
        "--api-url",
        vhost.apiUrl,
      ]);
      expect(code).toBe(1);
    } finally {
      process.stdout.write = write;
      process.exitCode = undefined;
    }
    expect(out.join("")).toContain(
      "drift: missing-binding: binding aios.tasks → agents.reviewer with key 'reviewer.*' is missing",
    );
  });

  it("turns a queue declared with other arguments into a TopologyMismatchError naming queue and argument", async () => {
    const v = encodeURIComponent(vhost.vhost);
    await managementRequest(vhost.apiUrl, "DELETE", `/api/queues/${v}/agents.reviewer.dlq`);
    await managementRequest(vhost.apiUrl, "PUT", `/api/queues/${v}/agents.reviewer.dlq`, {
      durable: true,
      arguments: { "x-queue-type": "quorum" },
    });
    const error = await applyTopology(topology, { url: vhost.amqpUrl }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyMismatchError);
    expect(error).toMatchObject({
      code: "TOPOLOGY_MISMATCH",
      entity: "queue 'agents.reviewer.dlq'",
      argument: "x-queue-type",
    });
    expect((error as Error).message).toContain(
      "queue 'agents.reviewer.dlq' exists on the broker with a different x-queue-type",
    );
  });
});

// The same spec as text, for the CLI, which reads files.
function specText(vhost: string): string {
  return `version: 1
vhost: ${vhost}
defaults: { queueType: classic, retryDelays: [300ms, 2s] }
exchanges:
  - { name: aios.tasks, type: topic }
queues:
  - name: agents.coder
    agentType: coder
    bindings: [{ exchange: aios.tasks, routingKeys: ["coder.*", "coder.*.*"] }]
    maxPriority: 10
  - name: agents.reviewer
    agentType: reviewer
    bindings: [{ exchange: aios.tasks, routingKeys: ["reviewer.*"] }]
    messageTtl: 200ms
`;
}
