import { describe, expect, it } from "vitest";
import type { CheckResult } from "./check.ts";
import { healthDocument, httpStatusOf, overallStatus } from "./format.ts";

const result = (overrides: Partial<CheckResult>): CheckResult => ({
  name: "rabbitmq",
  component: "rabbitmq",
  measurement: "responseTime",
  componentType: "component",
  critical: true,
  status: "pass",
  observedValue: 3,
  observedUnit: "ms",
  time: "2026-12-03T12:00:00.000Z",
  durationMs: 3,
  ...overrides,
});

describe("the health+json document", () => {
  it("keys checks by component:measurement with the draft's fields, several instances in one array", () => {
    const document = healthDocument(
      [
        result({}),
        result({ name: "s3-a", component: "s3", componentType: "datastore" }),
        result({
          name: "s3-b",
          component: "s3",
          componentType: "datastore",
          status: "fail",
          output: "bucket 'b' does not exist",
        }),
      ],
      { serviceId: "planner" },
    );
    expect(document).toEqual({
      status: "fail",
      serviceId: "planner",
      checks: {
        "rabbitmq:responseTime": [
          {
            componentId: "rabbitmq",
            componentType: "component",
            observedValue: 3,
            observedUnit: "ms",
            status: "pass",
            time: "2026-12-03T12:00:00.000Z",
          },
        ],
        "s3:responseTime": [
          {
            componentId: "s3-a",
            componentType: "datastore",
            observedValue: 3,
            observedUnit: "ms",
            status: "pass",
            time: "2026-12-03T12:00:00.000Z",
          },
          {
            componentId: "s3-b",
            componentType: "datastore",
            observedValue: 3,
            observedUnit: "ms",
            status: "fail",
            time: "2026-12-03T12:00:00.000Z",
            output: "bucket 'b' does not exist",
          },
        ],
      },
    });
  });

  it("passes when all pass, warns on a failing non-critical check or a warn, fails on a failing critical check", () => {
    expect(overallStatus([result({}), result({})])).toBe("pass");
    expect(overallStatus([result({}), result({ status: "fail", critical: false })])).toBe("warn");
    expect(overallStatus([result({ status: "warn" })])).toBe("warn");
    expect(overallStatus([result({ status: "warn" }), result({ status: "fail" })])).toBe("fail");
    expect(overallStatus([])).toBe("pass");
  });

  it("maps pass and warn to HTTP 200 and fail to 503", () => {
    expect([httpStatusOf("pass"), httpStatusOf("warn"), httpStatusOf("fail")]).toEqual([200, 200, 503]);
  });
});
