import type { Command } from "commander";
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

interface DlqOptions {
  readonly file: string;
  readonly url?: string;
}

async function withBroker<T>(
  options: DlqOptions,
  work: (connection: ConnectionManager, topology: ResolvedTopology) => Promise<T>,
): Promise<T> {
  const topology = await loadTopologySpec(options.file);
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

const limitOf = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError("--limit", `expected a positive whole number, got '${value}'`);
  return n;
};

export function registerDlqCommands(program: Command): void {
  const dlq = program
    .command("dlq")
    .description(
      "Dead-letter queues: <queue> is a work queue (agents.coder), its agent type (coder) or the DLQ itself",
    );
  const common = (command: Command) =>
    command
      .option("-f, --file <path>", "topology spec", "config/messaging.yaml")
      .option("--url <amqp-url>", "broker URL (default: AIOS_AMQP_URL)");

  common(dlq.command("list <queue>").description("Show dead letters without removing them"))
    .option("--limit <n>", "at most this many", "20")
    .option("--json", "one JSON object per line")
    .action(async (queue: string, options: DlqOptions & { limit?: string; json?: boolean }) => {
      await withBroker(options, async (connection, topology) => {
        let count = 0;
        for await (const letter of listDeadLetters(queue, {
          connection,
          topology,
          limit: limitOf(options.limit) ?? 20,
        })) {
          count++;
          const { body, properties: _properties, ...story } = letter;
          if (options.json) {
            process.stdout.write(`${JSON.stringify({ ...story, body: body.toString("utf8") })}\n`);
          } else {
            process.stdout.write(
              `${story.messageId ?? "(no id)"}  ${story.reason}  attempts=${story.attempts}  ` +
                `from ${story.originalExchange ?? "?"}/${story.originalRoutingKey ?? "?"}  ${story.error ?? ""}\n`,
            );
          }
        }
        if (!options.json) process.stdout.write(`${count} dead letter(s) shown\n`);
      });
    });

  common(dlq.command("replay <queue>").description("Republish dead letters to their original destination"))
    .option("--limit <n>", "at most this many")
    .action(async (queue: string, options: DlqOptions & { limit?: string }) => {
      await withBroker(options, async (connection, topology) => {
        const publisher = new Publisher({ connection, metrics: false });
        try {
          const limit = limitOf(options.limit);
          const result = await replayDeadLetters(queue, {
            connection,
            topology,
            publisher,
            ...(limit ? { limit } : {}),
          });
          process.stdout.write(
            `replayed ${result.replayed}, left ${result.skipped} without a known destination\n`,
          );
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
      await withBroker(options, async (connection, topology) => {
        const removed = await purgeDeadLetters(queue, { connection, topology });
        process.stdout.write(`purged ${removed} dead letter(s)\n`);
      });
    });
}
