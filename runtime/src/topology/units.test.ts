import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./durations.ts";
import { topicMatches } from "./topic-match.ts";

describe("durations", () => {
  it("parse units and whole milliseconds, and refuse anything else", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1s")).toBe(1000);
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("7d")).toBe(604_800_000);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration(1.5)).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration("1 minute")).toBeUndefined();
  });

  it("format to the shortest exact label", () => {
    expect(formatDuration(1000)).toBe("1s");
    expect(formatDuration(60_000)).toBe("1m");
    expect(formatDuration(90_000)).toBe("90s");
    expect(formatDuration(3_600_000)).toBe("1h");
    expect(formatDuration(86_400_000)).toBe("1d");
    expect(formatDuration(250)).toBe("250ms");
  });
});

describe("topic matching", () => {
  it("follows RabbitMQ's rules for * and #", () => {
    expect(topicMatches("coder.*", "coder.implement")).toBe(true);
    expect(topicMatches("coder.*", "coder.implement.high")).toBe(false);
    expect(topicMatches("coder.*.*", "coder.implement.high")).toBe(true);
    expect(topicMatches("planner.#", "planner")).toBe(true);
    expect(topicMatches("planner.#", "planner.done.x")).toBe(true);
    expect(topicMatches("#", "anything.at.all")).toBe(true);
    expect(topicMatches("coder.implement", "coder.review")).toBe(false);
  });
});
