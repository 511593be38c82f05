// CLI conventions that need no service: option values parsed by commander (exit 2 with the
// option named), --strategy only where it acts, the environment variables in every --help, and
// --json on a command that only reads a file.
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { runCli } from "../testing/cli.ts";
import { buildProgram } from "./main.ts";
import { absoluteUrl, durationMs, nonNegativeInt, positiveInt, wholeNumber } from "./options.ts";

const S3 = ["AIOS_S3_ENDPOINT", "AIOS_S3_ACCESS_KEY", "AIOS_S3_SECRET_KEY", "AIOS_S3_REGION"];
const HEALTH = [
  "AIOS_RABBITMQ_API_URL",
  "AIOS_AMQP_URL",
  ...S3,
  "AIOS_PROMETHEUS_URL",
  "AIOS_ALERTMANAGER_URL",
  "AIOS_GRAFANA_URL",
  "AIOS_PROMETHEUS_TARGETS_DIR",
];

/** Every command and the variables it reads (see env.ts and the commands' actions). */
const READS: Record<string, readonly string[]> = {
  "": ["AIOS_LOG_LEVEL", "AIOS_LOG_DESTINATION"],
  "topology validate": [],
  "topology apply": ["AIOS_AMQP_URL"],
  "topology verify": ["AIOS_RABBITMQ_API_URL"],
  "topology docs": [],
  "dlq list": ["AIOS_AMQP_URL"],
  "dlq replay": ["AIOS_AMQP_URL"],
  "dlq purge": ["AIOS_AMQP_URL"],
  "storage apply": S3,
  "storage verify": S3,
  "storage cleanup-uploads": S3,
  "storage prune-versions": S3,
  "ws create": S3,
  "ws ls": S3,
  "ws rm": S3,
  "ws push": S3,
  "ws pull": S3,
  "ws sync": S3,
  "ws log": S3,
  "ws restore": S3,
  "ws snapshot": S3,
  health: HEALTH,
  status: HEALTH,
};

/** The path of every command that runs something (the groups only hold subcommands). */
function leafCommands(command: Command, path: string[] = []): string[] {
  if (command.commands.length === 0) return [path.join(" ")];
  return command.commands.flatMap((sub) => leafCommands(sub, [...path, sub.name()]));
}

describe("aios --help", () => {
  it("lists every command in the table above (a new command must say what it reads)", () => {
    expect(leafCommands(buildProgram()).sort()).toEqual(
      Object.keys(READS)
        .filter((path) => path !== "")
        .sort(),
    );
  });

  it.each(Object.entries(READS))("'aios %s --help' names the variables it reads", async (path, names) => {
    const help = await runCli(...path.split(" ").filter(Boolean), "--help");
    expect(help.code).toBe(0);
    for (const name of names) expect(help.stdout).toContain(name);
    // A command that reads none does not pretend to.
    if (names.length === 0) expect(help.stdout).not.toContain("AIOS_");
  });

  it("shows an option's variable beside it where the option stands for one", async () => {
    expect((await runCli("dlq", "list", "--help")).stdout).toMatch(
      /--url <amqp-url>\s+broker URL \(env: AIOS_AMQP_URL\)/,
    );
    expect((await runCli("topology", "verify", "--help")).stdout).toMatch(
      /--api-url <url>[\s\S]*\(env:\s+AIOS_RABBITMQ_API_URL\)/,
    );
  });
});

describe("option values are parsed by commander", () => {
  it("parsers accept what they describe and refuse the rest", () => {
    expect(positiveInt("20")).toBe(20);
    expect(nonNegativeInt("0")).toBe(0);
    expect(wholeNumber(0, 65_535)("65535")).toBe(65_535);
    expect(durationMs("15m")).toBe(900_000);
    expect(absoluteUrl("amqp://u:p@host:5672/aios")).toBe("amqp://u:p@host:5672/aios");
    for (const bad of ["abc", "0", "-3", "1.5", "1e3", "", " "])
      expect(() => positiveInt(bad), bad).toThrow(InvalidArgumentError);
    expect(() => nonNegativeInt("-1")).toThrow("Expected a whole number (0 or more).");
    expect(() => wholeNumber(0, 65_535)("65536")).toThrow("Expected a whole number from 0 to 65535.");
    expect(() => durationMs("soon")).toThrow(InvalidArgumentError);
    for (const bad of ["localhost:5672", "not a url", "/aios"])
      expect(() => absoluteUrl(bad), bad).toThrow("Expected an absolute URL like amqp://");
  });

  it.each([
    [
      ["ws", "log", "demo", "--limit", "abc"],
      "option '-n, --limit <n>' argument 'abc' is invalid. Expected a positive whole number.",
    ],
    [["ws", "log", "demo", "-n", "-2"], "argument '-2' is invalid. Expected a positive whole number."],
    [["dlq", "list", "coder", "--limit", "0"], "option '--limit <n>' argument '0' is invalid."],
    [["dlq", "replay", "coder", "--limit", "ten"], "option '--limit <n>' argument 'ten' is invalid."],
    [
      ["ws", "push", "demo", ".", "--max-delete", "-1"],
      "argument '-1' is invalid. Expected a whole number (0 or more).",
    ],
    [["ws", "sync", "demo", ".", "--strategy", "mine"], "Allowed choices are fail, ours, theirs, keep-both."],
    [["topology", "verify", "--queue-type", "stream"], "Allowed choices are classic, quorum."],
    [
      ["topology", "verify", "--delivery-limit", "0"],
      "option '--delivery-limit <n>' argument '0' is invalid.",
    ],
    [
      ["topology", "apply", "--url", "broker:5672"],
      "option '--url <amqp-url>' argument 'broker:5672' is invalid. Expected an absolute URL like",
    ],
    [
      ["storage", "cleanup-uploads", "--older-than", "1 week"],
      "Expected a duration like 30s, 15m, 24h or 7d.",
    ],
    [["storage", "prune-versions", "b", "--keep", "x"], "option '--keep <n>' argument 'x' is invalid."],
    [["health", "--timeout", "-5"], "option '--timeout <ms>' argument '-5' is invalid."],
    [["status", "--port", "70000"], "Expected a whole number from 0 to 65535."],
    [["status", "--refresh", "10"], "Expected a whole number from 250 to 3600000."],
  ])("aios %j exits 2 and says what was wrong", async (args, message) => {
    const result = await runCli(...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
  });

  it("refuses a variable's value the same way, naming the variable", async () => {
    const saved = process.env.AIOS_RABBITMQ_API_URL;
    process.env.AIOS_RABBITMQ_API_URL = "not a url";
    try {
      const result = await runCli("topology", "verify");
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        "from env 'AIOS_RABBITMQ_API_URL' is invalid. Expected an absolute URL like",
      );
    } finally {
      if (saved === undefined) delete process.env.AIOS_RABBITMQ_API_URL;
      else process.env.AIOS_RABBITMQ_API_URL = saved;
    }
  });

  it("uses the parsed values: --queue-type quorum --delivery-limit 5 reach the resolved queues", async () => {
    const args = ["topology", "validate", "-f", "config/messaging.yaml", "--json", "--queue-type", "quorum"];
    const plannerArguments = async (...extra: string[]) => {
      const result = await runCli(...args, ...extra);
      expect(result.code).toBe(0);
      const { queues } = JSON.parse(result.stdout) as {
        queues: { name: string; arguments: Record<string, unknown> }[];
      };
      return queues.find((queue) => queue.name === "agents.planner")?.arguments;
    };
    expect(await plannerArguments("--delivery-limit", "5")).toMatchObject({
      "x-queue-type": "quorum",
      "x-delivery-limit": 5,
    });
    expect(await plannerArguments()).not.toHaveProperty("x-delivery-limit");
  });
});

describe("--strategy", () => {
  it("is offered by sync, where it acts, and refused by push and pull, where it would be ignored", async () => {
    expect((await runCli("ws", "sync", "--help")).stdout).toContain("--strategy <strategy>");
    for (const command of ["push", "pull"]) {
      expect((await runCli("ws", command, "--help")).stdout).not.toContain("--strategy");
      const result = await runCli("ws", command, "demo", ".", "--strategy", "ours");
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("error: unknown option '--strategy'");
    }
  });
});

describe("--json on a command that reads only a file", () => {
  it("prints one JSON document on stdout and the summary on stderr", async () => {
    const result = await runCli("topology", "validate", "-f", "config/messaging.yaml", "--json");
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as { valid: boolean; vhost: string; exchanges: unknown[] };
    expect(document).toMatchObject({ valid: true, vhost: "aios" });
    expect(document.exchanges.length).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/^config\/messaging\.yaml: valid — vhost aios/);
    // Without --json the summary is the output.
    expect((await runCli("topology", "validate", "-f", "config/messaging.yaml")).stdout).toMatch(
      /^config\/messaging\.yaml: valid/,
    );
  });
});
