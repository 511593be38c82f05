import type { ChannelModel, ConfirmChannel, Message } from "amqplib";
import { backoffDelay } from "../backoff.ts";
import type { ConnectionManager } from "./connection-manager.ts";

/** One confirm channel and the count of messages sent on it and not yet settled. */
export class PublishSlot {
  readonly channel: ConfirmChannel;
  readonly connection: ChannelModel;
  /** What the broker said when it closed the channel (set by its 'error' event, before 'close'). */
  error: Error | undefined;
  inFlight = 0;
  /** No new message goes out on it; closed once what is in flight on it is settled. */
  retired = false;
  closed = false;

  constructor(channel: ConfirmChannel, connection: ChannelModel) {
    this.channel = channel;
    this.connection = connection;
  }

  /** One message on it settled: a retired channel closes when its last one has. */
  untrack(): void {
    if (--this.inFlight === 0 && this.retired && !this.closed) void this.channel.close().catch(() => {});
  }
}

/** What the channel lifecycle tells the publisher. */
export interface PublishChannelEvents {
  /** A fresh channel is current (or the backoff after a nack passed): send what waits. */
  ready(): void;
  /** The current channel can take more (it drained, or another channel closed). */
  writable(): void;
  /** A channel closed; sort the messages in flight on it (before a replacement opens). */
  closed(slot: PublishSlot): void;
  /** The broker returned an unroutable message; its confirm follows. */
  returned(messageId: string, replyText: string): void;
}

/**
 * The publisher's confirm channels: one current channel to send on, opened when the connection
 * (re)connects and at once when the broker closed it on a live connection; after a nack, the
 * channel is retired and a fresh one opened after a backoff (a quorum queue's channel opened
 * during a leader election keeps nacking, a new one does not). Retired channels close once what
 * is in flight on them is settled.
 */
export class PublishChannels {
  readonly #connection: ConnectionManager;
  readonly #events: PublishChannelEvents;
  #current: PublishSlot | undefined;
  #generation = 0;
  #draining = false;
  #closed = false;
  #nackRounds = 0;
  #reopenTimer: NodeJS.Timeout | undefined;

  constructor(connection: ConnectionManager, events: PublishChannelEvents) {
    this.#connection = connection;
    this.#events = events;
  }

  /** The channel to send on, or undefined (none yet, retired after a nack, or closed). */
  get current(): PublishSlot | undefined {
    return this.#current;
  }

  /** The current channel's write buffer is full: wait for 'drain'. */
  get draining(): boolean {
    return this.#draining;
  }

  /** A fresh channel is due after a nack (the connection is up: not a reason to refuse a message). */
  get reopening(): boolean {
    return this.#reopenTimer !== undefined;
  }

  /** The channel's buffer filled up on the last write. */
  markDraining(): void {
    this.#draining = true;
  }

  /** A message on `slot` was confirmed: the nack backoff starts over once the current channel works. */
  confirmedOn(slot: PublishSlot): void {
    if (slot === this.#current) this.#nackRounds = 0;
  }

  /** Opens a confirm channel on `connection` and makes it current. */
  async open(connection: ChannelModel): Promise<void> {
    if (this.#closed) return;
    const generation = ++this.#generation;
    let channel: ConfirmChannel;
    try {
      channel = await connection.createConfirmChannel();
    } catch (error) {
      // The connection went away meanwhile (closed, or lost: the reconnect opens the next one).
      if (this.#closed || this.#connection.closed || !this.#connection.connected) return;
      throw error;
    }
    if (generation !== this.#generation || this.#closed) {
      // A newer open (a reconnect racing a reopen) won; this channel is not needed.
      await channel.close().catch(() => {});
      return;
    }
    const slot = new PublishSlot(channel, connection);
    channel.on("error", (error: Error) => {
      slot.error = error;
    });
    channel.on("return", (message: Message) => {
      const id = message.properties.messageId as string | undefined;
      const fields = message.fields as Message["fields"] & { replyText?: string };
      if (id !== undefined) this.#events.returned(id, fields.replyText ?? "NO_ROUTE");
    });
    channel.on("drain", () => {
      if (this.#current !== slot) return;
      this.#draining = false;
      this.#events.writable();
    });
    channel.on("close", () => this.#onClose(slot));
    const previous = this.#current;
    if (previous && !previous.retired) this.#retire(previous);
    this.#current = slot;
    this.#draining = false;
    this.#events.ready();
  }

  /** Stops sending on `slot` after a nack and opens a fresh channel after a backoff. */
  retireAfterNack(slot: PublishSlot): void {
    this.#retire(slot);
    if (this.#reopenTimer) return;
    const delay = 10 + backoffDelay(++this.#nackRounds, { initialDelayMs: 100, maxDelayMs: 2000 });
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      if (this.#closed) return;
      if (!this.#current && this.#connection.connected) {
        // ready() follows once the channel is open.
        void this.open(slot.connection).catch(() => {});
      } else {
        this.#events.ready();
      }
    }, delay);
  }

  /** No more channels; closes the current one. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
    const slot = this.#current;
    this.#current = undefined;
    await slot?.channel.close().catch(() => {});
  }

  /** Stops the reopen timer and refuses new channels; the current one stays until close(). */
  stopOpening(): void {
    this.#closed = true;
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
  }

  #retire(slot: PublishSlot): void {
    slot.retired = true;
    if (this.#current === slot) this.#current = undefined;
    if (slot.inFlight === 0 && !slot.closed) void slot.channel.close().catch(() => {});
  }

  #onClose(slot: PublishSlot): void {
    if (slot.closed) return;
    slot.closed = true;
    const wasCurrent = this.#current === slot;
    if (wasCurrent) this.#current = undefined;
    this.#events.closed(slot);
    // A channel the server closed on a live connection (404, 406…) is reopened at once; after a
    // lost connection, the ConnectionManager's onConnected listener does it.
    if (wasCurrent && this.#connection.connected && !this.#closed) {
      void this.open(slot.connection).catch(() => {});
    } else {
      this.#events.writable();
    }
  }
}
