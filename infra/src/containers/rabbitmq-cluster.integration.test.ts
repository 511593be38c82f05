import { randomUUID } from "node:crypto";
import { readEnv } from "@aios/runtime";
import { managementRequest } from "@aios/runtime/testing/broker";
import { afterAll, describe, expect, it } from "vitest";
import { rabbitmqDefinitions } from "./rabbitmq-cluster.ts";

// The generated definitions' user, imported into the real broker (scripts/services.sh): RabbitMQ
// accepts the password hash and the user logs in with the password it was made from. Only the
// `users` section is imported here, under a unique name: the shared broker's vhost "/" and its
// permissions are not touched. Booting nodes from the files is the cluster harness' job.
describe("the definitions' provisioner user, on the real broker", () => {
  const apiUrl = readEnv().AIOS_RABBITMQ_API_URL;
  const user = `aios-provisioner-test-${randomUUID().slice(0, 8)}`;
  const password = randomUUID();
  const asUser = (secret: string) => {
    const url = new URL(apiUrl);
    url.username = encodeURIComponent(user);
    url.password = encodeURIComponent(secret);
    return url.toString();
  };

  afterAll(async () => {
    await managementRequest(apiUrl, "DELETE", `/api/users/${encodeURIComponent(user)}`);
  });

  it("is imported, and logs in with its password only", async () => {
    const { users } = JSON.parse(rabbitmqDefinitions(password, user)) as { users: unknown[] };
    const imported = await managementRequest(apiUrl, "POST", "/api/definitions", { users });
    expect(imported.status, await imported.text()).toBeLessThan(300);

    const whoami = await managementRequest(asUser(password), "GET", "/api/whoami");
    expect(whoami.status).toBe(200);
    expect(((await whoami.json()) as { name: string; tags: string[] | string }).name).toBe(user);
    expect((await managementRequest(asUser(`${password}x`), "GET", "/api/whoami")).status).toBe(401);
  });
});
