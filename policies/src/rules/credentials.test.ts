import { describe, expect, it } from "vitest";
import { resourceViolations } from "../testing/validate.ts";
import { noCredentialsInEnv, noDefaultCredentials } from "./credentials.ts";
import { TYPES } from "./types.ts";

const withEnv = (...envs: string[]) =>
  resourceViolations(noCredentialsInEnv, {
    type: TYPES.container,
    props: { name: "aios-dev-grafana", envs },
  });

describe("no-credentials-in-container-env", () => {
  it("accepts plain settings and *_FILE pointers", async () => {
    expect(
      await withEnv(
        "GF_SECURITY_ADMIN_USER=aios-admin",
        "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password",
        "AIOS_AMQP_URL=amqp://rabbitmq:5672/aios",
      ),
    ).toEqual([]);
  });

  it("refuses a password in the environment and says how to pass it", async () => {
    expect(await withEnv("GF_SECURITY_ADMIN_PASSWORD=hunter2")).toEqual([
      "container 'aios-dev-grafana' sets GF_SECURITY_ADMIN_PASSWORD in its environment; upload the value as a file from a secret and set GF_SECURITY_ADMIN_PASSWORD_FILE",
    ]);
    expect(await withEnv("MINIO_ROOT_PASSWORD=x", "AWS_SECRET_ACCESS_KEY=y", "GITHUB_TOKEN=z")).toHaveLength(
      3,
    );
  });

  it("refuses a URL that carries a password", async () => {
    expect(await withEnv("AIOS_AMQP_URL=amqp://agent:s3cret@rabbitmq:5672/aios")).toEqual([
      "container 'aios-dev-grafana' sets AIOS_AMQP_URL to a URL with a password; upload it as a file from a secret",
    ]);
  });
});

describe("no-default-credentials", () => {
  const check = (type: string, props: Record<string, unknown>) =>
    resourceViolations(noDefaultCredentials, { type, name: "r", props });

  it("accepts generated credentials and names that merely contain a default", async () => {
    expect(
      await check("pulumi:providers:rabbitmq", {
        endpoint: "http://127.0.0.1:15672",
        username: "aios-provisioner",
        password: "x7Gq2s",
      }),
    ).toEqual([]);
    expect(await check(TYPES.user, { name: "aios-admin", password: "p", tags: ["administrator"] })).toEqual(
      [],
    );
    expect(
      await check(TYPES.container, {
        envs: ["GF_SECURITY_ADMIN_USER=aios-admin"],
        uploads: [{ file: "/etc/rabbitmq/rabbitmq.conf", content: "management.tcp.port = 15672\n" }],
      }),
    ).toEqual([]);
  });

  it("refuses a default user or password in any input, at any depth", async () => {
    expect(await check("pulumi:providers:rabbitmq", { username: "guest", password: "guest" })).toEqual([
      "pulumi:providers:rabbitmq 'r': username is 'guest' (a well-known default credential); use a generated or stack secret",
      "pulumi:providers:rabbitmq 'r': password is 'guest' (a well-known default credential); use a generated or stack secret",
    ]);
    expect(
      await check("pulumi:providers:minio", { minioUser: "minioadmin", minioPassword: "s" }),
    ).toHaveLength(1);
    expect(await check("pulumi:providers:grafana", { auth: "admin:admin" })).toEqual([
      "pulumi:providers:grafana 'r': auth carries 'admin:…' (a well-known default credential); use a generated or stack secret",
    ]);
  });

  it("finds defaults inside URLs, environment entries and uploaded config files", async () => {
    const found = await check(TYPES.container, {
      envs: ["MINIO_ROOT_USER=minioadmin"],
      uploads: [
        { file: "/run/secrets/aios/AIOS_AMQP_URL", content: "amqp://guest:guest@rabbitmq:5672/aios" },
        { file: "/etc/rabbitmq/conf.d/30.conf", content: "default_user = guest\ndefault_pass = s3cret\n" },
      ],
    });
    expect(found).toEqual([
      `${TYPES.container} 'r': envs[0] sets MINIO_ROOT_USER to 'minioadmin' (a well-known default credential); use a generated or stack secret`,
      `${TYPES.container} 'r': uploads[0].content carries 'guest:…' (a well-known default credential); use a generated or stack secret`,
      `${TYPES.container} 'r': uploads[1].content sets default_user to 'guest' (a well-known default credential); use a generated or stack secret`,
    ]);
  });
});
