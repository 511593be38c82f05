import { describe, expect, it } from "vitest";
import { resourceViolations } from "../testing/validate.ts";
import { durableQueues, workQueuesDeadLetter } from "./queues.ts";
import { TYPES } from "./types.ts";

const queue = (name: string, settings: Record<string, unknown>) => ({
  type: TYPES.queue,
  props: { name, settings },
});
const dlx = JSON.stringify({ "x-dead-letter-exchange": "aios.dead-letter", "x-message-ttl": 3_600_000 });

describe("queues-durable", () => {
  it("accepts a durable queue", async () => {
    expect(await resourceViolations(durableQueues, queue("agents.coder", { durable: true }))).toEqual([]);
  });

  it("refuses a transient or auto-deleted queue", async () => {
    expect(
      await resourceViolations(
        durableQueues,
        queue("agents.x.retry.1s", { durable: false, autoDelete: true }),
      ),
    ).toEqual([
      "queue 'agents.x.retry.1s' is not durable: its messages would not survive a restart",
      "queue 'agents.x.retry.1s' is auto-deleted: it disappears with its last consumer",
    ]);
  });
});

describe("work-queues-dead-letter", () => {
  it("accepts a work queue with a dead-letter exchange", async () => {
    expect(
      await resourceViolations(
        workQueuesDeadLetter,
        queue("agents.coder", { durable: true, argumentsJson: dlx }),
      ),
    ).toEqual([]);
  });

  it("exempts dead-letter queues and retry tiers, which dead-letter elsewhere or nowhere", async () => {
    expect(
      await resourceViolations(workQueuesDeadLetter, queue("agents.coder.dlq", { argumentsJson: "{}" })),
    ).toEqual([]);
    expect(
      await resourceViolations(
        workQueuesDeadLetter,
        queue("agents.coder.retry.10s", { argumentsJson: "{}" }),
      ),
    ).toEqual([]);
  });

  it("refuses a work queue without one", async () => {
    expect(
      await resourceViolations(workQueuesDeadLetter, queue("agents.coder", { argumentsJson: "{}" })),
    ).toEqual(["work queue 'agents.coder' has no x-dead-letter-exchange: failed messages would be lost"]);
  });

  it("refuses numeric arguments sent as strings, and arguments that are not JSON", async () => {
    const asStrings = queue("agents.coder", {
      arguments: { "x-dead-letter-exchange": "aios.dead-letter", "x-message-ttl": "1000" },
    });
    expect(await resourceViolations(workQueuesDeadLetter, asStrings)).toEqual([
      "queue 'agents.coder' sets numeric arguments through settings.arguments, which sends them as strings; use settings.argumentsJson",
    ]);
    expect(
      await resourceViolations(workQueuesDeadLetter, queue("agents.coder", { argumentsJson: "{" })),
    ).toEqual(["queue 'agents.coder' has settings.argumentsJson that is not JSON"]);
  });
});
