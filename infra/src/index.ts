// The Pulumi program (Pulumi.yaml: `main: infra/`, package.json `main: src/index.ts`), run by the
// Node language host under tsx. `pulumi up -s <stack>` per environment; the stack's outputs are
// what this function resolves to.
import { readStackConfig } from "./config.ts";
import { createStack } from "./stack.ts";

export default async () => {
  const { config, secrets } = readStackConfig();
  return createStack(config, secrets);
};
