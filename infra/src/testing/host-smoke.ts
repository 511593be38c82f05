// Runs the program the way Pulumi's Node language host does for this project — `node --import
// tsx --conditions=source`, working directory infra/ (Pulumi.yaml `main: infra/`), stack config
// in PULUMI_CONFIG — but against Pulumi's mocks instead of an engine. Prints a JSON summary.
// Used by infra/src/host-smoke.test.ts; not part of the program.
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks } from "./mocks.ts";

const mocks = new RecordingMocks();
await mocks.install(process.env.AIOS_SMOKE_STACK ?? "dev");
const program = (await import("../index.ts")).default;
const outputs = await program();
await mocks.settle();
const resources = mocks.resources();
const grafanaPassword = resources.find(
  (r) => r.type === "docker:index/container:Container" && String(r.props.name).endsWith("-grafana"),
)?.props.uploads as { file: string; content: string }[] | undefined;
const queues = await new Promise<string[]>((resolve) => outputs.queues.apply(resolve));
console.log(
  JSON.stringify({
    cwd: process.cwd(),
    resources: resources.length,
    queues,
    grafanaSecretFile: grafanaPassword?.find((u) => u.file === "/run/secrets/grafana-admin-password")
      ?.content,
    adminPasswordIsSecret: await pulumi.isSecret(outputs.rabbitmqAdminPassword),
  }),
);
