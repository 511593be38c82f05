import { describe, expect, it } from "vitest";
import { pendingPublish } from "./pending-publish.ts";
import { SendQueue } from "./send-queue.ts";

const message = (id: string) =>
  pendingPublish(
    "x",
    "k",
    Buffer.alloc(1),
    { messageId: id },
    1000,
    undefined,
    () => {},
    () => {},
  );

/** Takes everything peek() offers, in order. */
function drain(queue: SendQueue): string[] {
  const ids: string[] = [];
  for (let next = queue.peek(); next; next = queue.peek()) {
    ids.push(next.messageId);
    queue.shift();
  }
  return ids;
}

describe("the queue of messages waiting to be sent", () => {
  it("sends in order, retries first, and skips what settled while waiting", () => {
    const queue = new SendQueue();
    const [a, b, c, d] = ["a", "b", "c", "d"].map(message) as [
      ReturnType<typeof message>,
      ReturnType<typeof message>,
      ReturnType<typeof message>,
      ReturnType<typeof message>,
    ];
    queue.push(a);
    queue.push(b);
    queue.push(c);
    expect(queue.peek()).toBe(a);
    queue.shift();
    b.settled = true; // aborted while waiting
    queue.pushFront([d]); // a retry goes out before what was never sent
    expect(queue.length).toBe(3);
    expect(drain(queue)).toEqual(["d", "c"]);
    queue.compact();
    expect(queue.length).toBe(0);
  });

  it("frees sent entries while messages keep waiting, without losing one", () => {
    const queue = new SendQueue();
    for (let i = 0; i < 5000; i++) queue.push(message(String(i)));
    for (let i = 0; i < 3000; i++) {
      queue.peek();
      queue.shift();
    }
    queue.compact();
    expect(queue.length).toBe(2000);
    expect(queue.snapshot().map((m) => m.messageId)).toEqual(
      Array.from({ length: 2000 }, (_, i) => String(3000 + i)),
    );
  });
});
