import { type Command, Option } from "commander";
import { readEnv } from "../../env.ts";
import { InvalidArgumentError } from "../../errors.ts";
import {
  ConnectionManager,
  listDeadLetters,
  Publisher,
  purgeDeadLetters,
  replayDeadLetters,
} from "../../messaging/index.ts";
import { loadTopologySpec, type ResolvedTopology } from "../../topology/index.ts";
import { absoluteUrl, jsonOption, positiveInt } from "../options.ts";
import { Output } from "../output.ts";
import { AmbiguousArgumentError } from "../resolve.ts";

interface DlqOptions {
  readonly file: string;
  readonly url?: string;
  readonly json?: boolean;
}

async function withBroker<T>(
  queue: string,
  options: DlqOptions,
  work: (connection: ConnectionManager, topology: ResolvedTopology) => Promise<T>,
): Promise<T> {
  const topology = await loadTopologySpec(options.file);
  refuseAmbiguousAgentType(queue, topology);
  const connection = new ConnectionManager({
    urls: options.url ?? readEnv().AIOS_AMQP_URL,
    connectionName: "aios-cli",
    reconnect: { initialAttempts: 2 },
  });
  try {
    return await work(connection, topology);
  } finally {
    await connection.close();
  }
}

/**
 * `<queue>` may name an agent type; when several work queues serve it, the SDK would take the
 * first, so the CLI asks which one instead.
 *
 * @throws {@link AmbiguousArgumentError} listing the queues of that agent type.
 */
function refuseAmbiguousAgentType(queue: string, topology: ResolvedTopology): void {
  const named = topology.workQueues.some((plan) => plan.queue === queue || plan.deadLetterQueue === queue);
  if (named) return;
  const serving = topology.workQueues.filter((plan) => plan.agentType === queue).map((plan) => plan.queue);
  if (serving.length > 1) throw new AmbiguousArgumentError("agent type", queue, serving);
}

export function registerDlqCommands(program: Command): void {
  const dlq = program
    .command("dlq")
    .description(
      "Dead-letter queues: <queue> is a work queue (agents.coder), its agent type (coder) or the DLQ itself",
    );
  const common = (command: Command) =>
    command
      .option("-f, --file <path>", "topology spec", "config/messaging.yaml")
      .addOption(new Option("--url <amqp-url>", "broker URL").env("AIOS_AMQP_URL").argParser(absoluteUrl))
      .addOption(jsonOption());

  common(dlq.command("list <queue>").description("Show dead letters without removing them"))
    .addOption(new Option("--limit <n>", "at most this many").argParser(positiveInt).default(20))
    .action(async (queue: string, options: DlqOptions & { limit: number }) => {
      const output = new Output(options);
      await withBroker(queue, options, async (connection, topology) => {
        const deadLetters = [];
        for await (const letter of listDeadLetters(queue, { connection, topology, limit: options.limit })) {
          const { body, properties: _properties, ...story } = letter;
          deadLetters.push({ ...story, body: body.toString("utf8") });
          output.line(
            `${story.messageId ?? "(no id)"}  ${story.reason}  attempts=${story.attempts}  ` +
              `from ${story.originalExchange ?? "?"}/${story.originalRoutingKey ?? "?"}  ${story.error ?? ""}`,
          );
        }
        output.line(`${deadLetters.length} dead letter(s) shown`);
        output.document({ queue, deadLetters });
      });
    });

  common(dlq.command("replay <queue>").description("Republish dead letters to their original destination"))
    .addOption(new Option("--limit <n>", "at most this many").argParser(positiveInt))
    .action(async (queue: string, options: DlqOptions & { limit?: number }) => {
      const output = new Output(options);
      await withBroker(queue, options, async (connection, topology) => {
        const publisher = new Publisher({ connection, metrics: false });
        try {
          const result = await replayDeadLetters(queue, {
            connection,
            topology,
            publisher,
            ...(options.limit === undefined ? {} : { limit: options.limit }),
          });
          output.line(`replayed ${result.replayed}, left ${result.skipped} without a known destination`);
          output.document({ queue, ...result });
        } finally {
          await publisher.close();
        }
      });
    });

  common(dlq.command("purge <queue>").description("Delete every dead letter (asks for --yes)"))
    .option("--yes", "really delete them")
    .action(async (queue: string, options: DlqOptions & { yes?: boolean }) => {
      if (!options.yes)
        throw new InvalidArgumentError("--yes", "purge deletes messages for good; add --yes to confirm");
      const output = new Output(options);
      await withBroker(queue, options, async (connection, topology) => {
        const purged = await purgeDeadLetters(queue, { connection, topology });
        output.line(`purged ${purged} dead letter(s)`);
        output.document({ queue, purged });
      });
    });
}
