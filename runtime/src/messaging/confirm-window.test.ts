import { describe, expect, it } from "vitest";
import { ConfirmWindow } from "./confirm-window.ts";
import { pendingPublish } from "./pending-publish.ts";
import type { PublishSlot } from "./publish-channels.ts";

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

/** A channel's books without a broker: counts what is in flight on it. */
function slot(): PublishSlot {
  return {
    inFlight: 0,
    untrack() {
      this.inFlight--;
    },
  } as PublishSlot;
}

describe("the confirm window", () => {
  it("lets at most maxInFlight messages out, and another once one is released", () => {
    const window = new ConfirmWindow(2);
    const on = slot();
    const [a, b] = [message("a"), message("b")];
    window.sent(a, on);
    expect(window.open).toBe(true);
    window.sent(b, on);
    expect(window.open).toBe(false);
    window.release(a);
    expect([window.open, window.size, on.inFlight, a.slot]).toEqual([true, 1, 1, undefined]);
  });

  it("while suspects are re-sent, lets one message out at a time", () => {
    const window = new ConfirmWindow(100);
    const on = slot();
    const suspect = message("s");
    window.markSuspect(suspect);
    expect(window.open).toBe(true);
    window.sent(suspect, on);
    expect(window.open).toBe(false);
    window.release(suspect);
    window.clearSuspect(suspect);
    window.sent(message("n"), on);
    expect(window.open).toBe(true);
  });

  it("hands over what was in flight on a closed channel, and only that", () => {
    const window = new ConfirmWindow(100);
    const [closed, other] = [slot(), slot()];
    const [a, b, c] = [message("a"), message("b"), message("c")];
    window.sent(a, closed);
    window.sent(b, other);
    window.sent(c, closed);
    expect(window.takeUnconfirmed(closed)).toEqual([a, c]);
    expect([window.size, closed.inFlight, a.slot, b.slot]).toEqual([1, 0, undefined, other]);
  });

  it("matches a return to its confirm once", () => {
    const window = new ConfirmWindow(1);
    window.noteReturned("m", "NO_ROUTE");
    expect(window.takeReturned("other")).toBeUndefined();
    expect(window.takeReturned("m")).toBe("NO_ROUTE");
    expect(window.takeReturned("m")).toBeUndefined();
  });
});
