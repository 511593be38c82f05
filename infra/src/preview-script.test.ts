import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryPath } from "./config.ts";

// `npm run preview -- <stack>` on a machine with and without the Pulumi CLI. With it, a stand-in
// `pulumi` on PATH records the command line the script runs; the real CLI is not here, so this
// proves the command, not the preview.

const run = promisify(execFile);
const script = repositoryPath("infra/scripts/preview.sh");
let bin: string;
const minimalPath = () => ["/usr/bin", "/bin"].join(":");

beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), "aios-preview-"));
});
afterAll(async () => {
  await rm(bin, { recursive: true, force: true });
});

const preview = (args: string[], path: string) =>
  run("bash", [script, ...args], { env: { ...process.env, PATH: path } }).then(
    (ok) => ({ code: 0, ...ok }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe("npm run preview", () => {
  it("says in one line that the Pulumi CLI is missing, and fails", async () => {
    const result = await preview(["dev"], minimalPath());
    expect(result.code).toBe(127);
    expect(result.stderr.trim().split("\n")).toEqual([
      "preview: the Pulumi CLI (pulumi 3.x) is not on PATH, so no preview ran; install it, or read what the stack declares with: npm run plan -- dev",
    ]);
  });

  it("runs pulumi preview --diff with the policy pack of policies/ where the CLI is installed", async () => {
    const log = join(bin, "argv");
    await writeFile(join(bin, "pulumi"), `#!/bin/sh\nprintf '%s\\n' "$PWD" "$@" > '${log}'\n`);
    await chmod(join(bin, "pulumi"), 0o755);
    const result = await preview(["prod", "--json"], `${bin}:${minimalPath()}`);
    expect(result.code).toBe(0);
    const [cwd, ...argv] = (await readFile(log, "utf8")).trim().split("\n");
    expect(cwd).toBe(dirname(repositoryPath("Pulumi.yaml")));
    expect(argv).toEqual([
      "preview",
      "--stack",
      "prod",
      "--diff",
      "--policy-pack",
      repositoryPath("policies"),
      "--json",
    ]);
    await expect(readFile(join(argv[5] as string, "PulumiPolicy.yaml"), "utf8")).resolves.toContain(
      "runtime:",
    );
  });

  it("refuses a missing stack name or a stack without a file", async () => {
    expect((await preview([], minimalPath())).code).toBe(2);
    const unknown = await preview(["nope"], minimalPath());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no stack file Pulumi.nope.yaml");
  });
});
