import { describe, expect, it } from "vitest";
import { AckBatcher } from "./ack-batcher.ts";

const message = (deliveryTag: number) => ({ fields: { deliveryTag } });
type Message = ReturnType<typeof message>;

function recorder() {
  const sent: string[] = [];
  const channel = {
    ack: (m: Message, allUpTo = false) => sent.push(`${allUpTo ? "upTo" : "one"}:${m.fields.deliveryTag}`),
  };
  return { sent, channel };
}

describe("AckBatcher", () => {
  it("acks a run of finished messages with one multiple ack on the next turn", async () => {
    const { sent, channel } = recorder();
    const acks = new AckBatcher<Message>(channel, () => {});
    const messages = [1, 2, 3, 4].map(message);
    for (const m of messages) acks.delivered(m);
    for (const m of messages) acks.ack(m);
    expect(sent).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual(["upTo:4"]);
  });

  it("never covers a message whose handler still runs, and acks those behind it singly", () => {
    const { sent, channel } = recorder();
    const acks = new AckBatcher<Message>(channel, () => {});
    const [m1, m2, m3, m4] = [1, 2, 3, 4].map(message) as [Message, Message, Message, Message];
    for (const m of [m1, m2, m3, m4]) acks.delivered(m);
    acks.ack(m1);
    acks.ack(m3);
    acks.ack(m4);
    acks.flush();
    expect(sent).toEqual(["upTo:1", "one:3", "one:4"]);
    acks.ack(m2);
    acks.flush();
    expect(sent).toEqual(["upTo:1", "one:3", "one:4", "upTo:2"]);
  });

  it("steps over messages settled otherwise (nack, reject) without acking them", () => {
    const { sent, channel } = recorder();
    const acks = new AckBatcher<Message>(channel, () => {});
    const [m1, m2, m3] = [1, 2, 3].map(message) as [Message, Message, Message];
    for (const m of [m1, m2, m3]) acks.delivered(m);
    acks.settled(m3);
    acks.settled(m1);
    acks.flush();
    expect(sent).toEqual([]);
    acks.ack(m2);
    acks.flush();
    expect(sent).toEqual(["upTo:2"]);
  });

  it("reports a channel that refuses the ack instead of throwing, and sends nothing after discard()", async () => {
    const errors: unknown[] = [];
    const acks = new AckBatcher<Message>(
      {
        ack: () => {
          throw new Error("Channel closed");
        },
      },
      (error) => errors.push(error),
    );
    acks.delivered(message(1));
    acks.ack(message(1));
    acks.flush();
    expect(errors).toHaveLength(1);

    const { sent, channel } = recorder();
    const discarded = new AckBatcher<Message>(channel, () => {});
    discarded.delivered(message(1));
    discarded.ack(message(1));
    discarded.discard();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([]);
  });
});
