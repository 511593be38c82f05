import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { readEnv } from "../../env.ts";
import { redactUrl } from "../../logging.ts";
import { amqpUrlForVhost } from "../../topology/broker-url.ts";
import { renderTopologyDocs } from "../../topology/docs.ts";
import {
  applyTopology,
  loadTopologySpec,
  type TopologyOverrides,
  verifyTopology,
} from "../../topology/index.ts";

const DEFAULT_SPEC = "config/messaging.yaml";

interface SpecOptions {
  readonly file: string;
  readonly vhost?: string;
  readonly queueType?: "classic" | "quorum";
}

function overridesOf(options: SpecOptions): TopologyOverrides {
  return {
    ...(options.vhost ? { vhost: options.vhost } : {}),
    ...(options.queueType ? { queueType: options.queueType } : {}),
  };
}

export function registerTopologyCommands(program: Command): void {
  const topology = program.command("topology").description("The messaging topology of config/messaging.yaml");
  const withSpec = (command: Command) =>
    command
      .option("-f, --file <path>", "topology spec", DEFAULT_SPEC)
      .option("--vhost <vhost>", "override the spec's vhost")
      .option("--queue-type <type>", "override the default queue type (classic|quorum)");

  withSpec(topology.command("validate").description("Check the spec; print a summary")).action(
    async (options: SpecOptions) => {
      const resolved = await loadTopologySpec(options.file, { overrides: overridesOf(options) });
      process.stdout.write(
        `${options.file}: valid — vhost ${resolved.vhost}, ${resolved.exchanges.length} exchanges, ` +
          `${resolved.queues.length} queues, ${resolved.bindings.length} bindings\n`,
      );
    },
  );

  withSpec(
    topology.command("apply").description("Declare the topology on the broker (idempotent, all or nothing)"),
  )
    .option("--url <amqp-url>", "broker URL (default: AIOS_AMQP_URL); see below for its vhost")
    .addHelpText(
      "after",
      `
The topology is declared into its own vhost: the spec's \`vhost\`, or --vhost. A URL without a
vhost (amqp://user:pass@host:5672) is pointed there; a URL that names another vhost is refused
with TOPOLOGY_VHOST_CONFLICT and nothing is declared. \`topology verify\` reads the same vhost.

Every existing exchange and queue is checked before anything is declared: when some differ from
the spec (TOPOLOGY_MISMATCH, each one listed) nothing is declared; when the broker refuses a
declaration (TOPOLOGY_REFUSED, with its reply code and text) what this run created is deleted again.`,
    )
    .action(async (options: SpecOptions & { url?: string }) => {
      const resolved = await loadTopologySpec(options.file, { overrides: overridesOf(options) });
      const url = amqpUrlForVhost(options.url ?? readEnv().AIOS_AMQP_URL, resolved.vhost);
      const summary = await applyTopology(resolved, { url });
      process.stdout.write(
        `applied to vhost ${resolved.vhost} at ${redactUrl(url)}: ${summary.exchanges} exchanges, ${summary.queues} queues, ${summary.bindings} bindings\n`,
      );
    });

  withSpec(
    topology
      .command("verify")
      .description("Compare the live broker's vhost (the spec's, or --vhost) with the spec; exit 1 on drift"),
  )
    .option("--api-url <url>", "management API URL with credentials (default: AIOS_RABBITMQ_API_URL)")
    .action(async (options: SpecOptions & { apiUrl?: string }) => {
      const resolved = await loadTopologySpec(options.file, { overrides: overridesOf(options) });
      const drifts = await verifyTopology(resolved, {
        apiUrl: options.apiUrl ?? readEnv().AIOS_RABBITMQ_API_URL,
      });
      if (drifts.length === 0) {
        process.stdout.write(`vhost ${resolved.vhost} matches ${options.file}\n`);
        return;
      }
      for (const drift of drifts) process.stdout.write(`drift: ${drift.kind}: ${drift.description}\n`);
      process.stdout.write(`${drifts.length} drift(s) between vhost ${resolved.vhost} and ${options.file}\n`);
      process.exitCode = 1;
    });

  withSpec(topology.command("docs").description("Render the topology as Markdown with a Mermaid diagram"))
    .option("-o, --out <path>", "write to a file instead of stdout")
    .action(async (options: SpecOptions & { out?: string }) => {
      const resolved = await loadTopologySpec(options.file, { overrides: overridesOf(options) });
      const markdown = renderTopologyDocs(resolved, { source: options.file });
      if (options.out) await writeFile(options.out, markdown);
      else process.stdout.write(markdown);
    });
}
