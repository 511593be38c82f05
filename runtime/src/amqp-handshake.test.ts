import { describe, expect, it } from "vitest";
import { classifyHandshakeRefusal, CloseFrameReader, refusalKind } from "./amqp-handshake.ts";

/** An AMQP 0-9-1 method frame on channel 0. */
function methodFrame(classId: number, methodId: number, args: Buffer): Buffer {
  const payload = Buffer.concat([
    Buffer.from([classId >> 8, classId & 255, methodId >> 8, methodId & 255]),
    args,
  ]);
  const header = Buffer.alloc(7);
  header.writeUInt8(1, 0);
  header.writeUInt16BE(0, 1);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([0xce])]);
}

function connectionClose(code: number, text: string): Buffer {
  const args = Buffer.alloc(2 + 1 + Buffer.byteLength(text) + 4);
  args.writeUInt16BE(code, 0);
  args.writeUInt8(Buffer.byteLength(text), 2);
  args.write(text, 3);
  return methodFrame(10, 50, args);
}

describe("reading the broker's connection.close during the handshake", () => {
  it("finds the reply code and text after other frames, however the bytes are split", () => {
    const tune = methodFrame(10, 30, Buffer.from([0, 0, 0, 2, 0, 0, 0, 60]));
    const bytes = Buffer.concat([tune, connectionClose(530, "NOT_ALLOWED - vhost x not found")]);
    for (const size of [1, 3, 7, 64]) {
      const reader = new CloseFrameReader();
      for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size));
      expect(reader.reply).toEqual({ replyCode: 530, replyText: "NOT_ALLOWED - vhost x not found" });
    }
  });

  it("finds nothing in frames that are not a connection.close", () => {
    const reader = new CloseFrameReader();
    reader.push(methodFrame(10, 30, Buffer.alloc(8)));
    reader.push(methodFrame(10, 41, Buffer.alloc(1)));
    expect(reader.reply).toBeUndefined();
  });
});

describe("classifying a refused connection", () => {
  it("tells the login, a missing vhost, a refused vhost and a passing refusal apart by RabbitMQ's replies", () => {
    expect(refusalKind({ replyCode: 403, replyText: "ACCESS_REFUSED - Login was refused" })).toBe(
      "credentials",
    );
    expect(refusalKind({ replyCode: 530, replyText: "NOT_ALLOWED - vhost x not found" })).toBe(
      "vhost-not-found",
    );
    expect(
      refusalKind({ replyCode: 530, replyText: "NOT_ALLOWED - access to vhost 'x' refused for user 'u'" }),
    ).toBe("vhost-access-refused");
    expect(
      refusalKind({
        replyCode: 530,
        replyText: "NOT_ALLOWED - access to vhost 'x' refused for user 'u': connection limit (1) is reached",
      }),
    ).toBe("transient");
    expect(refusalKind({ replyCode: 530, replyText: "NOT_ALLOWED - vhost x is down" })).toBe("transient");
    expect(refusalKind({ replyCode: 320, replyText: "CONNECTION_FORCED - shutdown" })).toBeUndefined();
  });

  it("reads amqplib's errors: the reply in the message, a close without it, and no refusal at all", () => {
    const login = new Error(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"',
    );
    expect(classifyHandshakeRefusal(login)).toMatchObject({ kind: "credentials", reply: { replyCode: 403 } });
    const closed = new Error("Expected ConnectionOpenOk; got <ConnectionClose channel:0>");
    expect(classifyHandshakeRefusal(closed)).toEqual({ kind: "vhost-refused", reply: undefined });
    expect(classifyHandshakeRefusal(new Error("connect ECONNREFUSED 127.0.0.1:5672"))).toBeUndefined();
  });
});
