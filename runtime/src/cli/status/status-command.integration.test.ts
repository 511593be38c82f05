import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusSnapshot } from "./collect.ts";

/** Starts `aios status` as an operator would, on any free port; resolves with the URL it prints. */
async function startStatusCommand(...args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", "runtime/src/cli/main.ts", "status", "--port", "0", ...args],
    { stdio: ["ignore", "pipe", "pipe"], env: process.env },
  );
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`aios status exited ${code}: ${stderr}`)));
  });
  return { child, url };
}

describe("aios status, against the real services of scripts/services.sh", () => {
  const children: ChildProcess[] = [];
  // The page lists the spec's queues as the broker has them: declare them first, as an operator
  // (or `npm run dev`) does, instead of relying on another test having done it.
  beforeAll(async () => {
    await promisify(execFile)(
      process.execPath,
      ["--conditions=source", "--import", "tsx", "runtime/src/cli/main.ts", "topology", "apply"],
      { env: process.env },
    );
  }, 60_000);
  afterAll(async () => {
    for (const child of children) {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    }
  });

  it("serves the environment's health checks and the topology's queues, and stops on SIGTERM", async () => {
    const { child, url } = await startStatusCommand();
    children.push(child);
    const page = await fetch(url);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-store");
    const snapshot = (await (await fetch(`${url}api/status`)).json()) as StatusSnapshot;
    expect(snapshot.errors).toEqual({});
    // The same checks as `aios health`: the broker's own health checks pass on a running broker.
    expect(snapshot.services.filter((s) => s.name.startsWith("rabbitmq-")).map((s) => s.status)).toEqual([
      "pass",
      "pass",
      "pass",
    ]);
    expect(snapshot.vhost).toBe("aios");
    expect(snapshot.queues.map((q) => q.name)).toEqual(
      expect.arrayContaining(["agents.coder", "agents.coder.dlq"]),
    );
    expect(snapshot.queues.find((q) => q.name === "agents.coder.dlq")?.role).toBe("dead-letter");
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });

  it("refuses a port that is not a port, with exit code 2 and the option named", async () => {
    const child = spawn(
      process.execPath,
      ["--conditions=source", "--import", "tsx", "runtime/src/cli/main.ts", "status", "--port", "http"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain("--port");
  });
});
