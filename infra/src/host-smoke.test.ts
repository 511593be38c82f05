import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type * as grpc from "@grpc/grpc-js";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceRules, stackRules } from "../../policies/src/rules/index.ts";
import { repositoryPath } from "./config.ts";
import { loadStackFile } from "./plan/stack-file.ts";
import { FakeEngine } from "./testing/fake-engine.ts";
import { policyPackCommand, programCommand, type NodeRuntimeOptions } from "./testing/language-host.ts";

// Pulumi's own entry points, launched the way pulumi-language-nodejs launches them (the command
// lines are rewritten from its main.go in ./testing/language-host.ts):
// - the program through @pulumi/pulumi's `cmd/run`, with Pulumi.yaml's `nodeargs` before the
//   script, against a resource monitor and engine this test serves over gRPC (./testing/fake-engine);
// - the policy pack through `cmd/run-policy-pack`, with PulumiPolicy.yaml's `nodeargs` after the
//   script, as the host passes them; the pack prints its port and answers the Analyzer service.
// What this proves: these entry points load this ESM TypeScript program and the compiled pack with
// the runtime options the CLI reads, and the program sends the registrations we expect. What it
// cannot prove (no Pulumi CLI, engine or provider plugins here): the language host binary itself,
// the engine's handling of the registrations (diffs, provider Check/Diff/Create), and the policy
// proxy the host puts between the engine and the pack.

const run = promisify(execFile);
const requireFromPulumi = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi"));
const grpcJs = requireFromPulumi("@grpc/grpc-js") as typeof grpc;

async function runtimeOptions(file: string): Promise<{ main?: string; options: NodeRuntimeOptions }> {
  const document = parse(await readFile(repositoryPath(file), "utf8")) as {
    main?: string;
    runtime: { options?: NodeRuntimeOptions };
  };
  return {
    ...(document.main === undefined ? {} : { main: document.main }),
    options: document.runtime.options ?? {},
  };
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function launch(command: { args: string[]; env: Record<string, string>; cwd: string }) {
  const child = spawn(process.execPath, command.args, {
    cwd: command.cwd,
    env: { ...process.env, ...command.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.on("exit", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe.each(["dev", "prod"])(
  "the %s stack's program through @pulumi/pulumi/cmd/run, as the Node language host runs it",
  (stackName) => {
    let engine: FakeEngine;
    let syncDirectory: string;

    beforeAll(async () => {
      engine = await FakeEngine.start({ project: "aios", stack: stackName });
      // The host passes a directory of named pipes for synchronous invokes; an empty one here: a
      // synchronous invoke by the program would fail loudly instead of passing unseen.
      syncDirectory = await mkdtemp(join(tmpdir(), "aios-sync-"));
    });
    afterAll(async () => {
      await engine.stop();
      await rm(syncDirectory, { recursive: true, force: true });
    });

    it("previews the stack: registers the stack, the broker nodes and the topology with the monitor", async () => {
      const project = await runtimeOptions("Pulumi.yaml");
      expect(project.main).toBe("infra/");
      const stackFile = await loadStackFile(stackName);
      const command = programCommand(project.options, {
        monitor: engine.address,
        engine: engine.address,
        syncDirectory,
        organization: "organization",
        project: "aios",
        stack: stackName,
        rootDirectory: repositoryPath("."),
        programDirectory: repositoryPath("infra"),
        entryPoint: ".",
        dryRun: true,
        parallel: 16,
        config: Object.fromEntries(
          Object.entries(stackFile.values).map(([k, v]) => [`aios:${k}`, String(v)]),
        ),
        secretKeys: [],
      });
      // typescript: false in Pulumi.yaml, so no ts-node: tsx comes from nodeargs, before the script.
      expect(command.env.PULUMI_NODEJS_TYPESCRIPT).toBeUndefined();
      expect(command.args.slice(0, 2)).toEqual(["--import", "tsx"]);

      const exit = await launch(command).exited;
      expect(exit.stderr).not.toMatch(/error/i);
      expect(exit.code).toBe(0);

      const registered = engine.registrations;
      const stack = registered.find((r) => r.type === "pulumi:pulumi:Stack");
      expect(stack?.name).toBe(`aios-${stackName}`);
      expect(engine.rootResource).toBe(stack?.urn);
      expect(engine.shutdownSignalled).toBe(true);

      // Explicit providers (the broker's management API and Grafana need the generated admin
      // credentials); default providers are the engine's to create and never reach the monitor.
      const providers = registered.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => r.type);
      expect(providers).toEqual(
        expect.arrayContaining(["pulumi:providers:rabbitmq", "pulumi:providers:grafana"]),
      );
      const containers = registered
        .filter((r) => r.type === "docker:index/container:Container")
        .map((r) => String(r.inputs.name));
      expect(containers.filter((name) => /-rabbitmq-\d+$/.test(name))).toHaveLength(
        Number(stackFile.values.rabbitmqNodes),
      );
      expect(registered.filter((r) => r.type === "rabbitmq:index/vHost:VHost")).toHaveLength(1);
      const queues = registered
        .filter((r) => r.type === "rabbitmq:index/queue:Queue")
        .map((r) => r.inputs.name);
      expect(queues).toEqual(expect.arrayContaining(["agents.coder", "agents.coder.dlq", "agents.reviewer"]));
      // Custom resources hang under components, not directly under the stack.
      const queue = registered.find((r) => r.type === "rabbitmq:index/queue:Queue");
      expect(queue?.parent).not.toBe(stack?.urn);
      expect(queue?.urn).toMatch(
        new RegExp(`^urn:pulumi:${stackName}::aios::pulumi:pulumi:Stack\\$.+\\$rabbitmq:index/queue:Queue::`),
      );
    }, 120_000);
  },
);

describe("the policy pack through @pulumi/pulumi/cmd/run-policy-pack, as the Node language host runs it", () => {
  let analyzerExit: Promise<Exit> | undefined;
  let stopAnalyzer = () => {};

  beforeAll(async () => {
    // The pack is served compiled (policies/dist, PulumiPolicy.yaml → package.json `main`): the
    // policy host require()s it with only ts-node registered. Build it as CI and `npm run preview` do.
    await run("npm", ["run", "build", "-w", "@aios/policies"], { cwd: repositoryPath(".") });
  }, 120_000);
  afterAll(() => stopAnalyzer());

  it("loads the pack, prints its port, answers GetAnalyzerInfo with every rule and runs them on Analyze", async () => {
    const pack = await runtimeOptions("policies/PulumiPolicy.yaml");
    const stackFile = await loadStackFile("dev");
    const command = policyPackCommand(pack.options, {
      engine: "127.0.0.1:1", // the engine address the host passes; the pack never dials it here
      policyPackDirectory: repositoryPath("policies"),
      organization: "organization",
      project: "aios",
      stack: "dev",
      dryRun: true,
      config: Object.fromEntries(Object.entries(stackFile.values).map(([k, v]) => [`aios:${k}`, String(v)])),
    });
    const analyzer = launch(command);
    stopAnalyzer = () => analyzer.child.kill();
    analyzerExit = analyzer.exited;
    const port = await Promise.race([
      new Promise<string>((resolve) => {
        const poll = setInterval(() => {
          const line = analyzer.output().stdout.split("\n")[0] ?? "";
          if (/^\d+$/.test(line.trim()) && analyzer.output().stdout.includes("\n")) {
            clearInterval(poll);
            resolve(line.trim());
          }
        }, 50);
      }),
      analyzerExit.then((exit) => {
        throw new Error(`the policy pack exited (${exit.code}) before listening:\n${exit.stderr}`);
      }),
    ]);

    const analyzerGrpc = requireFromPulumi("./proto/analyzer_grpc_pb.js") as {
      AnalyzerClient: new (
        address: string,
        credentials: grpc.ChannelCredentials,
      ) => {
        getAnalyzerInfo(
          request: unknown,
          callback: (error: grpc.ServiceError | null, info: AnalyzerInfo) => void,
        ): void;
        analyze(
          request: unknown,
          callback: (
            error: grpc.ServiceError | null,
            response: { getDiagnosticsList(): { getPolicyname(): string; getMessage(): string }[] },
          ) => void,
        ): void;
        close(): void;
      };
    };
    interface AnalyzerInfo {
      getName(): string;
      getPoliciesList(): { getName(): string }[];
    }
    const emptyPb = requireFromPulumi("google-protobuf/google/protobuf/empty_pb.js") as {
      Empty: new () => unknown;
    };
    const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpcJs.credentials.createInsecure());
    const info = await new Promise<AnalyzerInfo>((resolve, reject) =>
      client.getAnalyzerInfo(new emptyPb.Empty(), (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
    // The compiled rules run in the host too: a queue that is not durable is reported.
    const analyzerPb = requireFromPulumi("./proto/analyzer_pb.js") as {
      AnalyzeRequest: new () => Record<string, (value: unknown) => void>;
      AnalyzerResourceOptions: new () => unknown;
    };
    const structPb = requireFromPulumi("google-protobuf/google/protobuf/struct_pb.js") as {
      Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
    };
    const request = new analyzerPb.AnalyzeRequest();
    request.setType!("rabbitmq:index/queue:Queue");
    request.setName!("aios-messaging-queue-scratch");
    request.setUrn!("urn:pulumi:dev::aios::rabbitmq:index/queue:Queue::aios-messaging-queue-scratch");
    request.setOptions!(new analyzerPb.AnalyzerResourceOptions()); // the engine always sends them
    request.setProperties!(
      structPb.Struct.fromJavaScript({ name: "scratch", vhost: "aios", settings: { durable: false } }),
    );
    const diagnostics = await new Promise<{ getPolicyname(): string; getMessage(): string }[]>(
      (resolve, reject) =>
        client.analyze(request, (error, response) =>
          error ? reject(error) : resolve(response.getDiagnosticsList()),
        ),
    );
    expect(diagnostics.map((d) => d.getPolicyname())).toContain("queues-durable");
    client.close();

    expect(info.getName()).toBe("aios");
    expect(
      info
        .getPoliciesList()
        .map((p) => p.getName())
        .sort(),
    ).toEqual([...resourceRules, ...stackRules].map((rule) => rule.name).sort());
  }, 60_000);
});
