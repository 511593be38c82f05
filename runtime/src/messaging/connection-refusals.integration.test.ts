import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEnv } from "../env.ts";
import { createTestVhost, managementRequest, type TestVhost } from "../testing/broker.ts";
import { ConnectionManager } from "./connection-manager.ts";
import { AuthenticationError, VhostAccessRefusedError, VhostNotFoundError } from "./errors.ts";

// Integration test on the real broker: a connection the broker refuses fails at once, typed by cause.

/** A ConnectionManager that would retry 5 times, and the attempts it logged as failed. */
function manager(url: string) {
  const failedAttempts: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => failedAttempts.push(line) });
  const connection = new ConnectionManager({
    urls: url,
    logger,
    reconnect: { initialAttempts: 5, initialDelayMs: 50, maxDelayMs: 100 },
  });
  return { connection, failedAttempts };
}

function urlFor(vhost: string, credentials?: { user: string; password: string }): string {
  const url = new URL(readEnv().AIOS_AMQP_URL);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  if (credentials) {
    url.username = credentials.user;
    url.password = credentials.password;
  }
  return url.toString();
}

describe("a connection the broker refuses", () => {
  const user = { user: `refused-${randomUUID().slice(0, 8)}`, password: randomUUID() };
  let vhost: TestVhost;
  beforeAll(async () => {
    vhost = await createTestVhost("refusals");
    // A user that may log in but has no permission on any vhost.
    const created = await managementRequest(vhost.apiUrl, "PUT", `/api/users/${user.user}`, {
      password: user.password,
      tags: "",
    });
    expect(created.ok).toBe(true);
  });
  afterAll(async () => {
    await managementRequest(vhost.apiUrl, "DELETE", `/api/users/${user.user}`);
    await vhost?.dispose();
  });

  it("fails at once with VhostNotFoundError when the vhost does not exist, with the broker's reply", async () => {
    const missing = `missing-${randomUUID().slice(0, 8)}`;
    const { connection, failedAttempts } = manager(urlFor(missing));
    const error = await connection.connect().catch((e: unknown) => e);
    await connection.close();

    expect(error).toBeInstanceOf(VhostNotFoundError);
    expect(error).toMatchObject({
      code: "MESSAGING_VHOST_NOT_FOUND",
      vhost: missing,
      replyCode: 530,
      replyText: `NOT_ALLOWED - vhost ${missing} not found`,
    });
    expect((error as Error).message).toContain(`vhost '${missing}' does not exist on the broker`);
    expect((error as Error).message).not.toContain(":guest@");
    expect(failedAttempts).toEqual([]);
  });

  it("fails at once with VhostAccessRefusedError when the user may not use the vhost", async () => {
    const { connection, failedAttempts } = manager(urlFor(vhost.vhost, user));
    const error = await connection.connect().catch((e: unknown) => e);
    await connection.close();

    expect(error).toBeInstanceOf(VhostAccessRefusedError);
    expect(error).toMatchObject({
      code: "MESSAGING_VHOST_ACCESS_REFUSED",
      vhost: vhost.vhost,
      replyCode: 530,
    });
    expect((error as VhostAccessRefusedError).replyText).toContain(
      `access to vhost '${vhost.vhost}' refused`,
    );
    expect((error as Error).message).not.toContain(user.password);
    expect(failedAttempts).toEqual([]);
  });

  it("fails at once with AuthenticationError, reply code 403, when the login is refused", async () => {
    const { connection, failedAttempts } = manager(
      urlFor(vhost.vhost, { user: user.user, password: "wrong" }),
    );
    const error = await connection.connect().catch((e: unknown) => e);
    await connection.close();

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ code: "MESSAGING_AUTHENTICATION_FAILED", replyCode: 403 });
    expect(failedAttempts).toEqual([]);
  });

  it("connects once the user has the permission (the refusal was the permission, not the vhost)", async () => {
    const granted = await managementRequest(
      vhost.apiUrl,
      "PUT",
      `/api/permissions/${encodeURIComponent(vhost.vhost)}/${user.user}`,
      { configure: ".*", write: ".*", read: ".*" },
    );
    expect(granted.ok).toBe(true);
    const { connection } = manager(urlFor(vhost.vhost, user));
    await expect(connection.connect()).resolves.toBeDefined();
    await connection.close();
  });
});
