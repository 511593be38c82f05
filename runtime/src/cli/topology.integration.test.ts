import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEnv } from "../env.ts";
import { createTestVhost, managementRequest, type TestVhost } from "../testing/broker.ts";
import { runCli } from "../testing/cli.ts";

// Integration test: `aios topology apply` and `verify` on the real broker, each in vhosts of its own.
const suffix = randomUUID().slice(0, 8);
const exchange = `topo-${suffix}.tasks`;
const queue = `topo-${suffix}.coder`;

const specText = (vhost: string) => `version: 1
vhost: ${vhost}
defaults: { queueType: classic, retryDelays: [] }
exchanges: [{ name: ${exchange}, type: topic }]
queues:
  - { name: ${queue}, agentType: coder, bindings: [{ exchange: ${exchange}, routingKeys: ["coder.*"] }] }
`;

/** A broker URL that names no vhost: host, port and credentials only. */
function urlWithoutVhost(): string {
  const url = new URL(readEnv().AIOS_AMQP_URL);
  url.pathname = "";
  return url.toString();
}

async function hasExchange(apiUrl: string, vhost: string): Promise<boolean> {
  const response = await managementRequest(
    apiUrl,
    "GET",
    `/api/exchanges/${encodeURIComponent(vhost)}/${encodeURIComponent(exchange)}`,
  );
  return response.ok;
}

describe("aios topology apply: the vhost it declares into", () => {
  let target: TestVhost;
  let other: TestVhost;
  let dir: string;
  let specFile: string;

  beforeAll(async () => {
    target = await createTestVhost("topo-cli");
    other = await createTestVhost("topo-cli-other");
    dir = await mkdtemp(join(tmpdir(), "aios-topology-vhost-"));
    specFile = join(dir, "messaging.yaml");
    await writeFile(specFile, specText(target.vhost));
  });
  afterAll(async () => {
    await target?.dispose();
    await other?.dispose();
    // The defect this guards against wrote into the default vhost; remove what it would have left
    // (names unique to this run, so nobody else's entities).
    const apiUrl = readEnv().AIOS_RABBITMQ_API_URL;
    await managementRequest(apiUrl, "DELETE", `/api/queues/%2F/${encodeURIComponent(queue)}`);
    await managementRequest(apiUrl, "DELETE", `/api/queues/%2F/${encodeURIComponent(`${queue}.dlq`)}`);
    await managementRequest(apiUrl, "DELETE", `/api/exchanges/%2F/${encodeURIComponent(exchange)}`);
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a URL that names another vhost than the spec's, and declares nothing anywhere", async () => {
    const result = await runCli("topology", "apply", "-f", specFile, "--url", other.amqpUrl);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("TOPOLOGY_VHOST_CONFLICT");
    expect(result.stderr).toContain(
      `the broker URL names vhost '${other.vhost}' but the topology is for vhost '${target.vhost}'`,
    );
    expect(await hasExchange(other.apiUrl, other.vhost)).toBe(false);
    expect(await hasExchange(target.apiUrl, target.vhost)).toBe(false);
  });

  it("points a URL without a vhost at the spec's vhost, so verify finds no drift there", async () => {
    const applied = await runCli("topology", "apply", "-f", specFile, "--url", urlWithoutVhost());
    expect(applied).toMatchObject({ code: 0, stderr: "" });
    expect(await hasExchange(target.apiUrl, target.vhost)).toBe(true);
    expect(await hasExchange(target.apiUrl, "/")).toBe(false);
    const verified = await runCli("topology", "verify", "-f", specFile, "--api-url", target.apiUrl);
    expect(verified).toMatchObject({ code: 0, stdout: `vhost ${target.vhost} matches ${specFile}\n` });
    expect(applied.stdout).toMatch(`applied to vhost ${target.vhost} at amqp://`);
    expect(applied.stdout).toContain(`/${target.vhost}: 2 exchanges, 2 queues, 2 bindings`);
  });

  it("declares into --vhost, which overrides the spec's vhost for apply and verify alike", async () => {
    const file = join(dir, "elsewhere.yaml");
    await writeFile(file, specText("some-other-vhost"));
    const applied = await runCli(
      "topology",
      "apply",
      "-f",
      file,
      "--vhost",
      other.vhost,
      "--url",
      other.amqpUrl,
    );
    expect(applied).toMatchObject({ code: 0 });
    expect(await hasExchange(other.apiUrl, other.vhost)).toBe(true);
    const verified = await runCli(
      "topology",
      "verify",
      "-f",
      file,
      "--vhost",
      other.vhost,
      "--api-url",
      other.apiUrl,
    );
    expect(verified.code).toBe(0);
    expect(applied.stdout).toContain(`applied to vhost ${other.vhost} at`);
    // The same URL with the spec's own vhost: the URL names another one, so it is refused.
    expect((await runCli("topology", "apply", "-f", file, "--url", other.amqpUrl)).stderr).toContain(
      "TOPOLOGY_VHOST_CONFLICT",
    );
  });
});
