import { writeFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import { readEnv } from "../../env.ts";
import { redactUrl } from "../../logging.ts";
import { amqpUrlForVhost, renderTopologyDocs } from "../../topology/internal.ts";
import {
  applyTopology,
  loadTopologySpec,
  type TopologyOverrides,
  verifyTopology,
} from "../../topology/index.ts";
import { absoluteUrl, jsonOption, positiveInt } from "../options.ts";
import { Output } from "../output.ts";

const DEFAULT_SPEC = "config/messaging.yaml";

interface SpecOptions {
  readonly file: string;
  readonly vhost?: string;
  readonly queueType?: "classic" | "quorum";
  readonly deliveryLimit?: number;
  readonly json?: boolean;
}

function overridesOf(options: SpecOptions): TopologyOverrides {
  return {
    ...(options.vhost ? { vhost: options.vhost } : {}),
    ...(options.queueType ? { queueType: options.queueType } : {}),
    ...(options.deliveryLimit === undefined ? {} : { deliveryLimit: options.deliveryLimit }),
  };
}

export function registerTopologyCommands(program: Command): void {
  const topology = program.command("topology").description("The messaging topology of config/messaging.yaml");
  // The stack's overrides (infra's aios:queueType and aios:deliveryLimit) apply to every command
  // that resolves the spec, so `verify` compares the broker with what that stack declared.
  const withSpec = (command: Command) =>
    command
      .option("-f, --file <path>", "topology spec", DEFAULT_SPEC)
      .option("--vhost <vhost>", "override the spec's vhost")
      .addOption(
        new Option("--queue-type <type>", "override the default queue type").choices([
          "classic",
          "quorum",
        ] as const),
      )
      .addOption(
        new Option(
          "--delivery-limit <n>",
          "quorum queues: deliveries before the broker dead-letters a message (x-delivery-limit), " +
            "for the queues whose spec sets none",
        ).argParser(positiveInt),
      );

  withSpec(topology.command("validate").description("Check the spec; print a summary"))
    .addOption(jsonOption())
    .action(async (options: SpecOptions) => {
      const output = new Output(options);
      const resolved = await loadTopologySpec(options.file, { overrides: overridesOf(options) });
      output.line(
        `${options.file}: valid — vhost ${resolved.vhost}, ${resolved.exchanges.length} exchanges, ` +
          `${resolved.queues.length} queues, ${resolved.bindings.length} bindings`,
      );
      output.document({
        file: options.file,
        valid: true,
        vhost: resolved.vhost,
        exchanges: resolved.exchanges,
        queues: resolved.queues,
        bindings: resolved.bindings,
      });
    });

  withSpec(
    topology.command("apply").description("Declare the topology on the broker (idempotent, all or nothing)"),
  )
    .addOption(
      new Option("--url <amqp-url>", "broker URL; see below for its vhost")
        .env("AIOS_AMQP_URL")
        .argParser(absoluteUrl),
    )
    .addOption(jsonOption())
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
      const output = new Output(options);
      output.line(
        `applied to vhost ${resolved.vhost} at ${redactUrl(url)}: ${summary.exchanges} exchanges, ${summary.queues} queues, ${summary.bindings} bindings`,
      );
      output.document({ vhost: resolved.vhost, url: redactUrl(url), ...summary });
    });

  withSpec(
    topology
      .command("verify")
      .description("Compare the live broker's vhost (the spec's, or --vhost) with the spec; exit 1 on drift"),
  )
    .addOption(
      new Option("--api-url <url>", "management API URL with credentials")
        .env("AIOS_RABBITMQ_API_URL")
        .argParser(absoluteUrl),
    )
    .addOption(jsonOption())
    .addHelpText(
      "after",
      `
A stack that runs quorum queues with a delivery limit (infra's aios:queueType and
aios:deliveryLimit) is verified with the same overrides: --queue-type quorum --delivery-limit <n>.`,
    )
    .action(async (options: SpecOptions & { apiUrl?: string }) => {
      const output = new Output(options);
      const resolved = await loadTopologySpec(options.file, { overrides: overridesOf(options) });
      const drifts = await verifyTopology(resolved, {
        apiUrl: options.apiUrl ?? readEnv().AIOS_RABBITMQ_API_URL,
      });
      for (const drift of drifts) output.line(`drift: ${drift.kind}: ${drift.description}`);
      output.line(
        drifts.length === 0
          ? `vhost ${resolved.vhost} matches ${options.file}`
          : `${drifts.length} drift(s) between vhost ${resolved.vhost} and ${options.file}`,
      );
      output.document({ file: options.file, vhost: resolved.vhost, matches: drifts.length === 0, drifts });
      if (drifts.length > 0) process.exitCode = 1;
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
