// The Pulumi program (Pulumi.yaml: main: infra/). `pulumi up -s <stack>` per environment.
import { readStackConfig } from "./config.ts";
import { createStack } from "./stack.ts";

export default async () => createStack(readStackConfig());
