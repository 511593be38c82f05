import { describe, expect, it } from "vitest";
import { resourceViolations } from "../testing/validate.ts";
import { noCredentialsInEnv } from "./credentials.ts";
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
