import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { renderTopologyDocs } from "./docs.ts";
import { loadTopologySpec } from "./load-spec.ts";

describe("docs/topology.md", () => {
  it("is up to date with config/messaging.yaml (regenerate: npm run aios -- topology docs --out docs/topology.md)", async () => {
    const expected = renderTopologyDocs(await loadTopologySpec("config/messaging.yaml"));
    const committed = await readFile("docs/topology.md", "utf8");
    expect(committed).toBe(expected);
  });

  it("draws every binding, retry tier and dead-letter path in the Mermaid diagram", async () => {
    const topology = await loadTopologySpec("config/messaging.yaml");
    const markdown = renderTopologyDocs(topology);
    expect(markdown).toContain("```mermaid\nflowchart LR");
    expect(markdown).toContain('x_aios_tasks -- "coder.*" --> q_agents_coder');
    expect(markdown).toContain('q_agents_coder -. "fails: retry after 10s" .-> q_agents_coder_retry_10s');
    expect(markdown).toContain('q_agents_coder_retry_10s -. "TTL expired" .-> q_agents_coder');
    expect(markdown).toContain('x_aios_dead_letter -- "agents.coder" --> q_agents_coder_dlq');
    expect(markdown).toContain(
      "| `agents.coder.retry.1m` | retry | `x-queue-type=classic` `x-message-ttl=60000`",
    );
  });
});
