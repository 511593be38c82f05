import { defineConfig } from "vitest/config";

// One runner for the whole repository. `source` resolves @aios/runtime to its TypeScript
// source, so infra and policies test against the code beside them, not a stale build.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: [
      "{runtime,infra,policies,dashboards}/**/*.test.ts",
      "scripts/**/*.test.ts",
      "bench/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/dist/**"],
    // Integration tests share one broker and one S3 gateway; files run in parallel but each
    // file isolates itself (its own vhost, bucket or queue names).
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
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
