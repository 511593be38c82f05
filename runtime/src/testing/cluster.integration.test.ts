import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ClusterHarnessError, defaultClusterNodeFiles, startCluster } from "./cluster.ts";

// Integration test of the cluster harness itself: real RabbitMQ nodes on spare ports (never the
// shared node on 5672). The 3-node cluster and its failover are exercised by
// runtime/src/messaging/cluster-failover.integration.test.ts; a single node keeps this one short.

/** Pids of running (not zombie) Erlang VMs started for `nodeName`. */
async function vmsOf(nodeName: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    // The start script and the VM's helper processes inherit the environment too.
    const comm = await readFile(`/proc/${entry}/comm`, "utf8").catch(() => "");
    if (comm.trim() !== "beam.smp") continue;
    const environ = await readFile(`/proc/${entry}/environ`, "utf8").catch(() => "");
    if (environ.includes(`RABBITMQ_NODENAME=${nodeName}\0`)) pids.push(Number(entry));
  }
  return pids;
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1" }, () => server.close(() => resolve(true)));
  });

describe("the cluster harness", () => {
  it(
    "boots nodes from the caller's files (here: definitions loaded at boot), and stop() leaves no VM and no port behind",
    { timeout: 120_000 },
    async () => {
      const cluster = await startCluster({
        nodes: 1,
        files: (context, defaults) => ({
          ...defaults,
          cookie: "CALLER-SUPPLIED-COOKIE\n",
          rabbitmqConf: `${defaults.rabbitmqConf}load_definitions = ${context.paths.definitions}\n`,
          definitions: JSON.stringify({
            users: [{ name: "guest", password: "guest", tags: ["administrator"] }],
            vhosts: [{ name: "/" }, { name: "from-definitions" }],
            permissions: [
              { user: "guest", vhost: "from-definitions", configure: ".*", write: ".*", read: ".*" },
              { user: "guest", vhost: "/", configure: ".*", write: ".*", read: ".*" },
            ],
            queues: [
              {
                name: "declared-by-definitions",
                vhost: "from-definitions",
                durable: true,
                auto_delete: false,
                arguments: { "x-queue-type": "quorum" },
              },
            ],
          }),
        }),
      });
      const node = cluster.nodes[0]!;
      let stopped = false;
      try {
        expect(node.ports.amqp).not.toBe(5672);
        expect(await readFile(`${cluster.stateDir}/home/.erlang.cookie`, "utf8")).toBe(
          "CALLER-SUPPLIED-COOKIE",
        );
        const queue = await cluster.api("GET", "/api/queues/from-definitions/declared-by-definitions");
        expect(queue.status).toBe(200);
        expect(await cluster.queueLeader("from-definitions", "declared-by-definitions")).toBe(0);
        expect(await vmsOf(node.nodeName)).toHaveLength(1);
        await cluster.stop();
        stopped = true;
        expect(await vmsOf(node.nodeName)).toEqual([]);
        for (const port of Object.values(node.ports)) expect(await portFree(port)).toBe(true);
      } finally {
        if (!stopped) await cluster.stop();
      }
    },
  );

  it("refuses nodes whose cookies differ, before starting anything", async () => {
    let n = 0;
    const attempt = startCluster({
      nodes: 2,
      files: (context, defaults) => ({ ...defaults, cookie: `COOKIE${n++}` }),
    });
    await expect(attempt).rejects.toThrow(ClusterHarnessError);
    await expect(attempt).rejects.toThrow(/node 2's cookie differs from node 1's/);
  });

  it("writes a classic-config cluster bound to 127.0.0.1 by default", () => {
    const files = defaultClusterNodeFiles(
      {
        index: 1,
        nodeName: "b@localhost",
        nodeNames: ["a@localhost", "b@localhost"],
        ports: { amqp: 5702, dist: 25702, management: 15702, prometheus: 15802 },
        paths: {
          dir: "/x",
          config: "/x/c",
          advancedConfig: "/x/a",
          enabledPlugins: "/x/p",
          definitions: "/x/d",
        },
      },
      "SECRET",
    );
    expect(files.rabbitmqConf).toContain("listeners.tcp.default = 127.0.0.1:5702");
    expect(files.rabbitmqConf).toContain("management.tcp.port = 15702");
    expect(files.rabbitmqConf).toContain("cluster_formation.peer_discovery_backend = classic_config");
    expect(files.rabbitmqConf).toContain("cluster_formation.classic_config.nodes.1 = a@localhost");
    expect(files.rabbitmqConf).toContain("cluster_formation.classic_config.nodes.2 = b@localhost");
    expect(files.enabledPlugins).toContain("rabbitmq_management");
    expect(files.cookie).toBe("SECRET");
  });
});
