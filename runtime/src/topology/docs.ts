import { formatDuration } from "./durations.ts";
import type { ResolvedTopology } from "./model.ts";

/**
 * The topology as Markdown with a Mermaid diagram: exchanges → (routing keys) → work queues →
 * retry tiers → dead-letter queues. Deterministic, so a test can tell when docs/topology.md is stale.
 */
export function renderTopologyDocs(topology: ResolvedTopology, options: { source?: string } = {}): string {
  const id = (name: string) => name.replace(/[^A-Za-z0-9]/g, "_");
  const lines: string[] = [];
  lines.push(`# Messaging topology (vhost \`${topology.vhost}\`)`, "");
  lines.push(
    `<!-- Generated from ${options.source ?? "config/messaging.yaml"} by \`npm run aios -- topology docs --out docs/topology.md\`. Do not edit by hand. -->`,
    "",
  );
  lines.push("```mermaid", "flowchart LR");
  for (const exchange of topology.exchanges)
    lines.push(`  ${id(`x ${exchange.name}`)}{{"${exchange.name} (${exchange.type})"}}`);
  for (const queue of topology.queues) lines.push(`  ${id(`q ${queue.name}`)}[("${queue.name}")]`);
  for (const binding of topology.bindings) {
    lines.push(
      `  ${id(`x ${binding.source}`)} -- "${binding.routingKey}" --> ${id(`q ${binding.destination}`)}`,
    );
  }
  for (const plan of topology.workQueues) {
    for (const tier of plan.retryTiers) {
      lines.push(
        `  ${id(`q ${plan.queue}`)} -. "fails: retry after ${formatDuration(tier.delayMs)}" .-> ${id(`q ${tier.queue}`)}`,
      );
      lines.push(`  ${id(`q ${tier.queue}`)} -. "TTL expired" .-> ${id(`q ${plan.queue}`)}`);
    }
    lines.push(`  ${id(`q ${plan.queue}`)} -. "dead-lettered" .-> ${id(`x ${plan.deadLetterExchange}`)}`);
  }
  lines.push("```", "");

  lines.push("## Exchanges", "", "| exchange | type | purpose |", "| --- | --- | --- |");
  for (const exchange of topology.exchanges) {
    lines.push(`| \`${exchange.name}\` | ${exchange.type} | ${exchange.description ?? ""} |`);
  }
  lines.push("", "## Work queues", "");
  lines.push(
    "| queue | agent type | type | routing keys | retries | dead letters | publishes to |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const plan of topology.workQueues) {
    const keys = plan.bindings.map((b) => `\`${b.exchange}\`: \`${b.routingKey}\``).join("<br>");
    const retries = plan.retryTiers.map((t) => formatDuration(t.delayMs)).join(", ") || "none";
    const dead = plan.deadLetterQueue
      ? `\`${plan.deadLetterQueue}\``
      : `\`${plan.deadLetterExchange}\` / \`${plan.deadLetterRoutingKey}\``;
    const publishes = plan.publishesTo?.map((e) => `\`${e}\``).join(", ") ?? "any exchange";
    lines.push(
      `| \`${plan.queue}\` | ${plan.agentType} | ${plan.queueType} | ${keys} | ${retries} | ${dead} | ${publishes} |`,
    );
  }
  lines.push(
    "",
    "## Every queue and its arguments",
    "",
    "| queue | role | arguments |",
    "| --- | --- | --- |",
  );
  for (const queue of topology.queues) {
    const args = Object.entries(queue.arguments)
      .map(([key, value]) => `\`${key}=${value === "" ? '""' : String(value)}\``)
      .join(" ");
    lines.push(`| \`${queue.name}\` | ${queue.role} | ${args} |`);
  }
  lines.push("");
  return lines.join("\n");
}
