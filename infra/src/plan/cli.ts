// `npm run plan -- <stack> [--json]`: every resource the stack declares, with its type, name,
// parent and inputs (secrets masked), computed under Pulumi's mocks. What a reviewer reads when
// no Pulumi CLI or cloud account is at hand; `pulumi preview --diff` (npm run preview) is the
// engine's own view.
import { AiosError } from "@aios/runtime";
import { formatPlan } from "./describe.ts";
import { planStack } from "./run.ts";

const USAGE =
  "usage: npm run plan -- <stack> [--json]   (stack: a Pulumi.<stack>.yaml in the repository root)";

const args = process.argv.slice(2);
const json = args.includes("--json");
const positional = args.filter((a) => !a.startsWith("--"));
const unknown = args.filter((a) => a.startsWith("--") && a !== "--json");
if (positional.length !== 1 || unknown.length > 0) {
  console.error(unknown.length > 0 ? `unknown option ${unknown.join(", ")}\n${USAGE}` : USAGE);
  process.exit(2);
}
const stack = positional[0] as string;
try {
  const resources = await planStack(stack);
  process.stdout.write(json ? `${JSON.stringify(resources)}\n` : formatPlan(resources, stack));
  // Pulumi's runtime keeps handles open after a mocked run.
  process.exit(0);
} catch (error) {
  console.error(error instanceof AiosError ? `plan: ${error.message}` : error);
  process.exit(1);
}
