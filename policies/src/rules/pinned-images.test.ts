import { describe, expect, it } from "vitest";
import { resourceViolations } from "../testing/validate.ts";
import { pinnedImages } from "./pinned-images.ts";
import { TYPES } from "./types.ts";

const remote = (name: string) =>
  resourceViolations(pinnedImages, { type: TYPES.remoteImage, props: { name } });

describe("pinned-container-images", () => {
  it("accepts an explicit version tag, also behind a registry with a port", async () => {
    expect(await remote("rabbitmq:4.1.4-management")).toEqual([]);
    expect(await remote("localhost:5000/aios/agent:1.2.3")).toEqual([]);
  });

  it("accepts a sha256 digest", async () => {
    expect(await remote(`minio/minio@sha256:${"a".repeat(64)}`)).toEqual([]);
  });

  it("refuses an image without a tag, naming it", async () => {
    expect(await remote("grafana/grafana")).toEqual([
      "image 'grafana/grafana' is not pinned: use an explicit version tag or a sha256 digest",
    ]);
    // The port of the registry is not a tag.
    expect(await remote("localhost:5000/agent")).toHaveLength(1);
  });

  it("refuses :latest, for pulled and for built images", async () => {
    expect(await remote("prom/prometheus:latest")).toHaveLength(1);
    expect(
      await resourceViolations(pinnedImages, {
        type: TYPES.image,
        props: { imageName: "aios-dev-agents:latest" },
      }),
    ).toEqual([
      "image 'aios-dev-agents:latest' is not pinned: use an explicit version tag or a sha256 digest",
    ]);
  });
});
