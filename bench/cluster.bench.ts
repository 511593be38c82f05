// npm run bench:cluster [-- --quick] [--messages N] [--rounds N] [--failover-messages N]
// On a real 3-node RabbitMQ cluster booted for the run (spare ports, runtime/src/testing/cluster.ts):
// the SDK's publisher and consumer on a quorum queue against raw amqplib doing the same work (confirms,
// persistent, mandatory), same node, same run, 1 KiB messages; then the failover: the queue leader's
// node killed with kill -9 in the middle of a confirmed-publish run, with the publisher on that node,
// then again (after the node rejoined) with the publisher on a survivor.
import amqp from "amqplib";
import { ConnectionManager, Consumer, Publisher } from "../runtime/src/messaging/index.ts";
import { startCluster } from "../runtime/src/testing/cluster.ts";
import { type FailoverReport, runLeaderKill } from "../runtime/src/testing/failover.ts";
import { findWorkQueue, parseTopologySpec } from "../runtime/src/topology/index.ts";
import { flag, interleaved, quick, round2, timed } from "./lib.ts";

// The failover provokes reconnect warnings on purpose; the SDK's logs would bury the figures.
process.env.AIOS_LOG_LEVEL ??= "error";

const N = flag("messages", quick ? 3_000 : 10_000);
const ROUNDS = flag("rounds", quick ? 1 : 5);
const FAILOVER_MESSAGES = flag("failover-messages", quick ? 4_000 : 9_000);
const WINDOW = 1000;
const SETTLE_MS = 1000;
const payload = { text: "x".repeat(1024 - 80) };
const body = Buffer.from(
  JSON.stringify({ v: 1, id: "raw", type: "bench", time: new Date().toISOString(), data: payload }),
);

const bootStarted = performance.now();
const cluster = await startCluster({ nodes: 3 });
const bootSeconds = (performance.now() - bootStarted) / 1000;
process.stderr.write(`cluster of 3 nodes up in ${bootSeconds.toFixed(1)} s (${cluster.stateDir})\n`);
const results: Record<string, number | string> = {};
try {
  const vhost = "bench";
  await cluster.createVhost(vhost);
  const topology = parseTopologySpec(`version: 1
vhost: ${vhost}
defaults: { queueType: quorum, retryDelays: [] }
exchanges: [{ name: bench, type: topic }]
queues:
  - { name: bench.quorum, agentType: quorum, bindings: [{ exchange: bench, routingKeys: ["quorum.*"] }] }
`);
  // Both contenders talk to the first node, which also leads the queue (it is declared there).
  const urls = cluster.amqpUrls(vhost);
  const connection = new ConnectionManager({ urls, topology });
  await connection.connect();
  const leader = await cluster.queueLeader(vhost, "bench.quorum");
  process.stderr.write(`queue leader: ${cluster.nodes[leader]?.nodeName}\n`);
  const publisher = new Publisher({ connection, metrics: false, maxInFlight: WINDOW * 2 });
  const raw = await amqp.connect(urls[0]!);
  const rawChannel = await raw.createConfirmChannel();

  const inWindows = async (count: number, send: () => Promise<unknown>) => {
    for (let start = 0; start < count; start += WINDOW)
      await Promise.all(Array.from({ length: Math.min(WINDOW, count - start) }, send));
  };
  // The same guarantees as the SDK: confirmed, persistent, mandatory.
  const rawPublish = async (): Promise<void> => {
    for (let start = 0; start < N; start += WINDOW) {
      for (let i = 0; i < Math.min(WINDOW, N - start); i++)
        rawChannel.publish("bench", "quorum.x", body, { persistent: true, mandatory: true });
      await rawChannel.waitForConfirms();
    }
  };
  const sdkPublish = () =>
    inWindows(N, () => publisher.publish("bench", "quorum.x", payload, { type: "bench" }));

  async function rawConsume(count: number): Promise<void> {
    const channel = await raw.createChannel();
    await channel.prefetch(500);
    let seen = 0;
    await new Promise<void>((resolve) => {
      void channel.consume("bench.quorum", (message) => {
        if (!message) return;
        channel.ack(message);
        if (++seen === count) resolve();
      });
    });
    await channel.close();
  }
  async function sdkConsume(count: number): Promise<void> {
    let seen = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const consumer = new Consumer({
      connection,
      metrics: false,
      prefetch: 500,
      queue: findWorkQueue(topology, "quorum")!,
      handler: () => {
        if (++seen === count) done();
      },
    });
    await consumer.start();
    await finished;
    await consumer.stop();
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

  process.stderr.write(`publish, quorum queue on the cluster, ${N} messages per trial\n`);
  const publishTrial = (run: () => Promise<void>) => async () => {
    const seconds = await timed(run);
    await rawConsume(N);
    await settle();
    return seconds;
  };
  const publish = await interleaved(ROUNDS, { raw: publishTrial(rawPublish), sdk: publishTrial(sdkPublish) });
  process.stderr.write(`consume, quorum queue on the cluster\n`);
  const consumeTrial = (run: () => Promise<void>) => async () => {
    await rawPublish();
    await settle();
    return timed(run);
  };
  const consume = await interleaved(ROUNDS, {
    raw: consumeTrial(() => rawConsume(N)),
    sdk: consumeTrial(() => sdkConsume(N)),
  });
  await publisher.close();
  await connection.close();
  await raw.close();
  const rate = (seconds = Number.NaN) => N / seconds;
  results.cluster_boot_s = round2(bootSeconds);
  results.quorum_publish_raw_msgs_per_s = Math.round(rate(publish.raw));
  results.quorum_publish_sdk_msgs_per_s = Math.round(rate(publish.sdk));
  results.quorum_publish_sdk_raw_ratio = round2(rate(publish.sdk) / rate(publish.raw));
  results.quorum_consume_raw_msgs_per_s = Math.round(rate(consume.raw));
  results.quorum_consume_sdk_msgs_per_s = Math.round(rate(consume.sdk));
  results.quorum_consume_sdk_raw_ratio = round2(rate(consume.sdk) / rate(consume.raw));

  // Failover: the leader's node killed a third of the way into the run.
  const failover = (publisherOn: "leader" | "survivor"): Promise<FailoverReport> =>
    runLeaderKill({
      cluster,
      vhost,
      topology,
      exchange: "bench",
      routingKey: "quorum.failover",
      agentType: "quorum",
      messages: FAILOVER_MESSAGES,
      killAt: Math.floor(FAILOVER_MESSAGES / 3),
      publisherOn,
    });
  for (const publisherOn of ["leader", "survivor"] as const) {
    process.stderr.write(`failover, publisher on the ${publisherOn}'s node, ${FAILOVER_MESSAGES} messages\n`);
    const report = await failover(publisherOn);
    process.stderr.write(`  ${JSON.stringify(report)}\n`);
    const prefix = `failover_publisher_on_${publisherOn}`;
    results[`${prefix}_errors`] = report.errors;
    results[`${prefix}_lost`] = report.lost;
    results[`${prefix}_duplicates`] = report.duplicates;
    results[`${prefix}_publish_resume_ms`] = report.publishResumeMs ?? "never";
    results[`${prefix}_max_confirm_ms`] = report.maxConfirmMs;
    results[`${prefix}_consume_resume_on_leader_ms`] = report.consumeResumeMs.onLeader ?? "never";
    results[`${prefix}_consume_resume_on_survivor_ms`] = report.consumeResumeMs.onSurvivor ?? "never";
    // The killed node comes back for the next run (it rejoins with its data).
    const killed = cluster.nodes.find((n) => n.nodeName === report.killedNode)!;
    const restarted = await timed(() => cluster.restart(killed.index));
    results[`${prefix}_node_rejoin_s`] = round2(restarted);
  }
} finally {
  await cluster.stop();
}

for (const [key, value] of Object.entries(results)) process.stdout.write(`${key.padEnd(52)} ${value}\n`);
process.stdout.write(
  `${JSON.stringify({ bench: "cluster", nodes: 3, messages_per_trial: N, rounds: ROUNDS, failover_messages: FAILOVER_MESSAGES, ...results })}\n`,
);
