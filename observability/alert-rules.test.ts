import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The alert rules (observability/prometheus/alerts.yml), their promtool unit tests and the
// Alertmanager config, checked with the promtool and amtool the services run. The mutation tests
// prove the unit tests can fail: a rule whose `for:` or threshold changes must break them.
const run = promisify(execFile);
const prometheusDir = new URL("./prometheus/", import.meta.url).pathname;
const alertmanagerConfig = new URL("./alertmanager/alertmanager.yml", import.meta.url).pathname;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

interface UnitTests {
  tests: { alert_rule_test: { alertname: string }[] }[];
  [key: string]: unknown;
}

const ruleFile = parse(await readFile(join(prometheusDir, "alerts.yml"), "utf8")) as RuleFile;
const unitTests = parse(await readFile(join(prometheusDir, "alerts.test.yml"), "utf8")) as UnitTests;
const rules = ruleFile.groups.flatMap((group) => group.rules);

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "aios-alert-rules-"));
});
afterAll(async () => rm(scratch, { recursive: true, force: true }));

interface Variant {
  readonly name: string;
  readonly file: RuleFile;
  /** Only the unit tests of this alert (a mutant of one rule needs no others); all when unset. */
  readonly alert?: string;
}

/**
 * Runs alerts.test.yml against each variant of the rule file, in one promtool process (each start
 * costs seconds on a busy machine); for each, true when every unit test passed.
 */
async function unitTestsPass(variants: readonly Variant[]): Promise<boolean[]> {
  const testFiles: string[] = [];
  for (const [i, variant] of variants.entries()) {
    const dir = await mkdtemp(join(scratch, `variant-${i}-`));
    await writeFile(join(dir, "alerts.yml"), stringify(variant.file));
    const tests = unitTests.tests.filter(
      (group) =>
        variant.alert === undefined || group.alert_rule_test.some((t) => t.alertname === variant.alert),
    );
    if (tests.length === 0) throw new Error(`alerts.test.yml has no test of ${variant.alert}`);
    await writeFile(join(dir, "alerts.test.yml"), stringify({ ...unitTests, tests }));
    testFiles.push(join(dir, "alerts.test.yml"));
  }
  let output: string;
  try {
    output = (await run("promtool", ["test", "rules", ...testFiles], { maxBuffer: 64 << 20 })).stdout;
  } catch (error) {
    const failure = error as { code?: number; stdout?: string };
    if (failure.code !== 1 || failure.stdout === undefined) throw error;
    output = failure.stdout;
  }
  // "Unit Testing:  <file>" then "  SUCCESS" or "  FAILED:" and the details, per file.
  const verdicts = new Map<string, boolean>();
  for (const section of output.split(/^Unit Testing: +/m).slice(1)) {
    const [file = "", ...rest] = section.split("\n");
    verdicts.set(file.trim(), /^ {2}SUCCESS/m.test(rest.join("\n")));
  }
  return testFiles.map((file) => {
    const verdict = verdicts.get(file);
    if (verdict === undefined) throw new Error(`promtool printed no verdict for ${file}:\n${output}`);
    return verdict;
  });
}

/** A copy of the rule file with one rule changed. */
function mutate(alert: string, change: (rule: Rule) => Rule): RuleFile {
  return {
    groups: ruleFile.groups.map((group) => ({
      ...group,
      rules: group.rules.map((rule) => (rule.alert === alert ? change({ ...rule }) : rule)),
    })),
  };
}

describe("the alert rules", () => {
  it("cover the conditions an operator must hear about (at least 14 rules)", () => {
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        "RabbitMQDown",
        "RabbitMQMemoryAlarm",
        "RabbitMQDiskAlarm",
        "QueueBacklogGrowing",
        "QueueUnackedHigh",
        "DeadLetterQueueGrowing",
        "WorkQueueWithoutConsumers",
        "MessagesUnroutable",
        "PublishFailureRateHigh",
        "HandlerFailureRateHigh",
        "StorageUnreachable",
        "StorageErrorRateHigh",
        "HealthCheckFailing",
        "AgentDown",
        "ScrapeTargetDown",
      ]),
    );
    expect(rules.length).toBeGreaterThanOrEqual(14);
  });

  it("each carry a severity, a service, a summary, a description and a first response", () => {
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(critical|warning)$/);
      // ScrapeTargetDown derives its service from the job in its expression.
      if (!rule.expr.includes('"service"')) expect(rule.labels?.service, rule.alert).toMatch(/^[a-z]+$/);
      for (const annotation of ["summary", "description", "first_response"]) {
        expect(rule.annotations?.[annotation], `${rule.alert} ${annotation}`).toMatch(/\S{3,}/);
      }
      expect(rule.for, `${rule.alert} needs a for: (one bad scrape must not page)`).toMatch(/^\d+[smh]$/);
    }
  });

  // One mutation per threshold or matcher that decides whether a rule fires: each must fail the tests.
  const thresholds: [alert: string, from: string, to: string][] = [
    ["RabbitMQDown", "max by", "min by"],
    ["RabbitMQMemoryAlarm", "== 1", "== 0"],
    ["RabbitMQDiskAlarm", "== 1", "== 0"],
    ["QueueBacklogGrowing", "> 1000", "> 900"],
    ["QueueBacklogGrowing", "> 1000", "> 3000"],
    ["QueueBacklogGrowing", "[10m])) > 0", "[10m])) >= 0"],
    ["QueueUnackedHigh", "> 1000", "> 999"],
    ["QueueUnackedHigh", "> 1000", "> 1001"],
    ["DeadLetterQueueGrowing", '"}) > 0', '"}) > 5'],
    ["DeadLetterQueueGrowing", "[10m])) > 0", "[10m])) >= 0"],
    ["WorkQueueWithoutConsumers", "== 0", "<= 1"],
    ["WorkQueueWithoutConsumers", '"}) > 0', '"}) > 5'],
    ["MessagesUnroutable", "> 0", ">= 0"],
    ["MessagesUnroutable", "> 0", "> 2"],
    ["PublishFailureRateHigh", "> 0.01", "> 0.009"],
    ["PublishFailureRateHigh", "> 0.01", "> 0.03"],
    ["HandlerFailureRateHigh", "> 0.1", "> 0.09"],
    ["HandlerFailureRateHigh", "> 0.1", "> 0.3"],
    ["StorageUnreachable", "unless", "or"],
    ["StorageErrorRateHigh", "> 0.05", "> 0.04"],
    ["StorageErrorRateHigh", "> 0.05", "> 0.2"],
    ["StorageErrorRateHigh", "error|unreachable", "error|unreachable|not_found"],
    ["StorageLatencyHigh", "> 2", "> 1.9"],
    ["StorageLatencyHigh", "> 2", "> 5"],
    ["HealthCheckFailing", "== 0", "< 1"],
    ["HealthCheckDegraded", "== 0.5", "< 1"],
    ["AgentDown", 'job="aios"', 'job=~".+"'],
    ["ScrapeTargetDown", '"([a-z]+).*"', '"(.*)"'],
  ];
  const variants: Variant[] = [
    { name: "the rules as committed", file: ruleFile },
    ...rules.map((rule) => ({
      name: `${rule.alert} with for: 0`,
      alert: rule.alert,
      file: mutate(rule.alert, (r) => ({ ...r, for: "0s" })),
    })),
    ...thresholds.map(([alert, from, to]) => ({
      name: `${alert} with \`${from}\` changed to \`${to}\``,
      alert,
      file: mutate(alert, (r) => ({ ...r, expr: r.expr.replace(from, to) })),
    })),
  ];
  let verdicts: Map<string, boolean>;
  beforeAll(async () => {
    const passed = await unitTestsPass(variants);
    verdicts = new Map(variants.map((variant, i) => [variant.name, passed[i] ?? true]));
  }, 120_000);

  it("pass their promtool unit tests", () => {
    expect(verdicts.get("the rules as committed")).toBe(true);
  });

  it.each(thresholds)("each threshold mutation applies: %s contains `%s`", (alert, from) => {
    expect(rules.find((rule) => rule.alert === alert)?.expr).toContain(from);
  });

  it.each(variants.slice(1).map((variant) => variant.name))("fail their unit tests: %s", (name) => {
    expect(verdicts.get(name)).toBe(false);
  });
});

describe("the Alertmanager config", () => {
  it("is accepted by amtool", async () => {
    const { stdout } = await run("amtool", ["check-config", alertmanagerConfig]);
    expect(stdout).toContain("SUCCESS");
  });

  it.each([
    ["critical", "critical"],
    ["warning", "warning"],
    // An alert without a severity still reaches someone.
    ["", "warning"],
  ])("routes severity=%j to the %s receiver", async (severity, receiver) => {
    const labels = severity ? [`severity=${severity}`, "service=messaging"] : ["service=messaging"];
    const { stdout } = await run("amtool", [
      "config",
      "routes",
      "test",
      `--config.file=${alertmanagerConfig}`,
      ...labels,
    ]);
    expect(stdout.trim()).toBe(receiver);
  });

  it("inhibits warnings with criticals of the same service and object", async () => {
    const config = parse(await readFile(alertmanagerConfig, "utf8")) as {
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    expect(config.inhibit_rules).toEqual([
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ["service", "instance", "vhost", "queue", "bucket"],
      },
    ]);
  });

  it("sends every alert label the inhibition compares: each rule names its service", () => {
    // Without `service`, a critical alert would inhibit the warnings of every other service too.
    for (const rule of rules) expect(rule.labels?.service ?? rule.expr).toMatch(/service|^[a-z]+$/);
  });
});
