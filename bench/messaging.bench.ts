// npm run bench:messaging [-- --quick] [--messages N] [--rss-messages N] [--rounds N]
// The SDK's publisher and consumer against raw amqplib and amqp-connection-manager, same broker,
// same run, 1 KiB persistent messages, on a durable classic queue and a quorum queue.
import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import amqpConnectionManager from "amqp-connection-manager";
import { Registry } from "prom-client";
import { ENVELOPE_CONTENT_TYPE } from "../runtime/src/messaging/envelope.ts";
import { ConnectionManager, Consumer, messagingMetrics, Publisher } from "../runtime/src/messaging/index.ts";
import { createTestVhost } from "../runtime/src/testing/broker.ts";
import { findWorkQueue, parseTopologySpec } from "../runtime/src/topology/index.ts";
import { flag, interleaved, percentile, quick, round2, timed } from "./lib.ts";

const N = flag("messages", quick ? 5_000 : 20_000);
const RSS_MESSAGES = flag("rss-messages", quick ? 50_000 : 1_000_000);
const ROUNDS = flag("rounds", quick ? 1 : 7);
const WINDOW = 1000;
const SETTLE_MS = 1000;
const payload = { text: "x".repeat(1024 - 80) };
const body = Buffer.from(
  JSON.stringify({ v: 1, id: "raw", type: "bench", time: new Date().toISOString(), data: payload }),
);

const vhost = await createTestVhost("bench");
const topology = parseTopologySpec(`version: 1
vhost: ${vhost.vhost}
defaults: { queueType: classic, retryDelays: [] }
exchanges: [{ name: bench, type: topic }]
queues:
  - { name: bench.classic, agentType: classic, bindings: [{ exchange: bench, routingKeys: ["classic.*"] }] }
  - { name: bench.quorum, agentType: quorum, queueType: quorum, bindings: [{ exchange: bench, routingKeys: ["quorum.*"] }] }
`);
const registry = new Registry();
const connection = new ConnectionManager({ urls: vhost.amqpUrl, topology });
await connection.connect();
const publisher = new Publisher({ connection, metrics: messagingMetrics(registry), maxInFlight: WINDOW * 2 });
const raw = await amqp.connect(vhost.amqpUrl);
const rawChannel = await raw.createConfirmChannel();
const acm = amqpConnectionManager.connect([vhost.amqpUrl]);
const acmChannel = acm.createChannel({ json: false, confirm: true });
await acmChannel.waitForConnect();

async function inWindows(count: number, send: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += WINDOW) {
    await Promise.all(Array.from({ length: Math.min(WINDOW, count - start) }, (_, i) => send(start + i)));
  }
}

const publishers = (kind: string) => ({
  raw: async (): Promise<void> => {
    for (let start = 0; start < N; start += WINDOW) {
      for (let i = 0; i < Math.min(WINDOW, N - start); i++)
        rawChannel.publish("bench", `${kind}.x`, body, { persistent: true });
      await rawChannel.waitForConfirms();
    }
  },
  // Raw amqplib with the one feature that costs the broker: `mandatory` (an unroutable message
  // comes back instead of vanishing). Everything else the SDK adds is the client's work.
  rawMandatory: async (): Promise<void> => {
    for (let start = 0; start < N; start += WINDOW) {
      for (let i = 0; i < Math.min(WINDOW, N - start); i++)
        rawChannel.publish("bench", `${kind}.x`, body, { persistent: true, mandatory: true });
      await rawChannel.waitForConfirms();
    }
  },
  // Raw amqplib doing by hand what the SDK does for each message (an envelope around the
  // serialized payload, mandatory, message id, content type): the SDK's own overhead is the
  // difference from this one.
  rawEquivalent: async (): Promise<void> => {
    for (let start = 0; start < N; start += WINDOW) {
      for (let i = 0; i < Math.min(WINDOW, N - start); i++) {
        const id = randomUUID();
        const envelope = { v: 1, id, type: "bench", time: new Date().toISOString(), data: payload };
        rawChannel.publish("bench", `${kind}.x`, Buffer.from(JSON.stringify(envelope)), {
          persistent: true,
          mandatory: true,
          messageId: id,
          contentType: ENVELOPE_CONTENT_TYPE,
        });
      }
      await rawChannel.waitForConfirms();
    }
  },
  // Raw amqplib serializing the payload object per message, as any application of it must.
  rawJson: async (): Promise<void> => {
    for (let start = 0; start < N; start += WINDOW) {
      for (let i = 0; i < Math.min(WINDOW, N - start); i++)
        rawChannel.publish("bench", `${kind}.x`, Buffer.from(JSON.stringify(payload)), { persistent: true });
      await rawChannel.waitForConfirms();
    }
  },
  // One publish() and one promise per message, a window at a time like the raw baseline.
  sdk: (): Promise<void> =>
    inWindows(N, () => publisher.publish("bench", `${kind}.x`, payload, { type: "bench" })),
  // publishMany checks a whole window before sending any of it.
  sdkMany: async (): Promise<void> => {
    for (let start = 0; start < N; start += WINDOW) {
      await publisher.publishMany(
        Array.from({ length: Math.min(WINDOW, N - start) }, () => ({
          exchange: "bench",
          routingKey: `${kind}.x`,
          data: payload,
          options: { type: "bench" },
        })),
      );
    }
  },

  acm: (): Promise<void> =>
    inWindows(N, () => acmChannel.publish("bench", `${kind}.x`, body, { persistent: true })),
});

async function rawConsume(queue: string, count: number): Promise<void> {
  const channel = await raw.createChannel();
  await channel.prefetch(500);
  let seen = 0;
  await new Promise<void>((resolve) => {
    void channel.consume(queue, (message) => {
      if (!message) return;
      channel.ack(message);
      if (++seen === count) resolve();
    });
  });
  await channel.close();
}

/** An SDK consumer on the work queue of `agentType` whose `finished` resolves after `count` messages. */
async function countingConsumer<T>(
  agentType: string,
  count: number,
  options: { onMessage?: (data: T) => void; metrics?: boolean } = {},
) {
  let seen = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const consumer = new Consumer<T>({
    connection,
    metrics: options.metrics === false ? false : messagingMetrics(registry),
    prefetch: 500,
    queue: findWorkQueue(topology, agentType)!,
    handler: (message) => {
      options.onMessage?.(message.data);
      if (++seen === count) done();
    },
  });
  await consumer.start();
  return { finished, stop: () => consumer.stop() };
}

async function sdkConsume(agentType: string, count: number): Promise<void> {
  const counting = await countingConsumer(agentType, count);
  await counting.finished;
  await counting.stop();
}

/**
 * Lets the broker finish what the last trial left it (writing and then collecting the message
 * store's files) before the next trial starts: without the pause, whichever contender came
 * next paid for it, and one contender's times varied by 60 % within a run.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

const results: Record<string, number> = {};
for (const kind of ["classic", "quorum"]) {
  const queue = `bench.${kind}`;
  const send = publishers(kind);
  // Each publish trial is drained (untimed) so every trial starts on an empty queue.
  const publishTrial = (run: () => Promise<void>) => async () => {
    const seconds = await timed(run);
    await rawConsume(queue, N);
    await settle();
    return seconds;
  };
  process.stderr.write(`publish, ${kind} queue, ${N} messages per trial\n`);
  const publish = await interleaved(ROUNDS, {
    raw: publishTrial(send.raw),
    raw_mandatory: publishTrial(send.rawMandatory),
    raw_equivalent: publishTrial(send.rawEquivalent),
    raw_json: publishTrial(send.rawJson),
    sdk: publishTrial(send.sdk),
    sdk_many: publishTrial(send.sdkMany),
    acm: publishTrial(send.acm),
  });
  // Each consume trial starts on a queue filled (untimed) by raw amqplib.
  const consumeTrial = (run: () => Promise<void>) => async () => {
    await send.raw();
    await settle();
    return timed(run);
  };
  process.stderr.write(`consume, ${kind} queue\n`);
  const consume = await interleaved(ROUNDS, {
    raw: consumeTrial(() => rawConsume(queue, N)),
    sdk: consumeTrial(() => sdkConsume(kind, N)),
  });
  const rate = (seconds = Number.NaN) => N / seconds;
  results[`${kind}_publish_raw_msgs_per_s`] = Math.round(rate(publish.raw));
  results[`${kind}_publish_sdk_msgs_per_s`] = Math.round(rate(publish.sdk));
  results[`${kind}_publish_acm_msgs_per_s`] = Math.round(rate(publish.acm));
  results[`${kind}_publish_raw_json_msgs_per_s`] = Math.round(rate(publish.raw_json));
  results[`${kind}_publish_sdk_many_msgs_per_s`] = Math.round(rate(publish.sdk_many));
  results[`${kind}_publish_sdk_raw_ratio`] = round2(rate(publish.sdk) / rate(publish.raw));
  results[`${kind}_publish_sdk_many_raw_ratio`] = round2(rate(publish.sdk_many) / rate(publish.raw));
  results[`${kind}_publish_sdk_peer_ratio`] = round2(rate(publish.sdk) / rate(publish.acm));
  results[`${kind}_publish_raw_mandatory_raw_ratio`] = round2(
    rate(publish.raw_mandatory) / rate(publish.raw),
  );
  results[`${kind}_publish_raw_json_raw_ratio`] = round2(rate(publish.raw_json) / rate(publish.raw));
  results[`${kind}_publish_raw_equivalent_raw_ratio`] = round2(
    rate(publish.raw_equivalent) / rate(publish.raw),
  );
  results[`${kind}_publish_sdk_raw_equivalent_ratio`] = round2(
    rate(publish.sdk) / rate(publish.raw_equivalent),
  );
  results[`${kind}_consume_raw_msgs_per_s`] = Math.round(rate(consume.raw));
  results[`${kind}_consume_sdk_msgs_per_s`] = Math.round(rate(consume.sdk));
  results[`${kind}_consume_sdk_raw_ratio`] = round2(rate(consume.sdk) / rate(consume.raw));
}

// Latency from publish to handler at half the SDK's measured classic publish rate.
{
  const rate = Math.max(100, Math.round((results.classic_publish_sdk_msgs_per_s ?? 2000) / 2));
  const count = Math.min(rate * 4, 20_000);
  const latencies: number[] = [];
  const counting = await countingConsumer<{ sentAt: number }>("classic", count, {
    metrics: false,
    onMessage: (data) => latencies.push(performance.now() + performance.timeOrigin - data.sentAt),
  });
  const started = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    sends.push(
      publisher.publish("bench", "classic.x", {
        sentAt: performance.now() + performance.timeOrigin,
        pad: payload.text,
      }),
    );
  }
  await Promise.all(sends);
  await counting.finished;
  await counting.stop();
  results.latency_rate_msgs_per_s = rate;
  results.latency_p50_ms = round2(percentile(latencies, 50));
  results.latency_p99_ms = round2(percentile(latencies, 99));
}

// Memory: RSS before and after RSS_MESSAGES through the SDK (publisher and consumer at once).
{
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const counting = await countingConsumer("classic", RSS_MESSAGES);
  const started = performance.now();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 250);
  await inWindows(RSS_MESSAGES, () => publisher.publish("bench", "classic.x", payload, { type: "bench" }));
  await counting.finished;
  clearInterval(sampler);
  await counting.stop();
  globalThis.gc?.();
  const after = process.memoryUsage().rss;
  results.rss_messages = RSS_MESSAGES;
  results.rss_before_mb = round2(before / 1e6);
  results.rss_after_mb = round2(after / 1e6);
  results.rss_peak_mb = round2(peak / 1e6);
  results.rss_growth_mb = round2((after - before) / 1e6);
  results.rss_pipeline_msgs_per_s = Math.round(RSS_MESSAGES / ((performance.now() - started) / 1000));
}

await acm.close();
await raw.close();
await publisher.close();
await connection.close();
await vhost.dispose();

for (const [key, value] of Object.entries(results)) process.stdout.write(`${key.padEnd(36)} ${value}\n`);
process.stdout.write(
  `${JSON.stringify({ bench: "messaging", messages_per_trial: N, rounds: ROUNDS, ...results })}\n`,
);
