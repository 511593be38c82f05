import { defineConfig } from "vitest/config";

// One runner for the whole repository. `source` resolves @aios/runtime to its TypeScript
// source, so infra and policies test against the code beside them, not a stale build.
const shared = {
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
};

const everyTest = ["{runtime,infra,policies,dashboards,observability,scripts,bench}/**/*.test.ts"];
// Tests that restart a shared service (the broker, the S3 gateway) would break every other test
// running at that moment, so they run after all the others, one file at a time. (Group orders start
// at 1: in vitest 5 a single-worker project left in group 0 is scheduled before the others.)
const disruptive = ["**/*.disruptive.test.ts"];

export default defineConfig({
  ...shared,
  test: {
    testTimeout: 30_000,
    // The SDK logs reconnects and failed attempts as warnings; tests provoke them on purpose.
    env: { AIOS_LOG_LEVEL: "error" },
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: everyTest,
          exclude: ["**/node_modules/**", "**/dist/**", ...disruptive],
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: "disruptive",
          include: disruptive,
          exclude: ["**/node_modules/**", "**/dist/**"],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
    coverage: {
      provider: "v8",
      include: ["runtime/src/**/*.ts", "infra/src/**/*.ts", "policies/src/**/*.ts", "dashboards/src/**/*.ts"],
      exclude: ["**/*.test.ts", "**/testing/**", "runtime/src/cli/main.ts"],
      reporter: ["text-summary", "json-summary", "html"],
      thresholds: {
        "runtime/src/**/*.ts": { lines: 80, branches: 80 },
      },
    },
  },
});
