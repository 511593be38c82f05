import { describe, expect, it } from "vitest";
import { BoundedLabel, OTHER_LABEL } from "./bounded-label.ts";

describe("BoundedLabel", () => {
  it("passes the known values and counts every other one as `other`", () => {
    const label = new BoundedLabel({ known: ["aios.tasks", "aios.events"] });
    expect(label.value("aios.tasks")).toBe("aios.tasks");
    expect(label.value("aios.events")).toBe("aios.events");
    expect(label.value("attacker-chosen-123")).toBe(OTHER_LABEL);
  });

  it("without known values, passes the first `max` distinct values and no more", () => {
    const label = new BoundedLabel({ max: 3 });
    const values = ["a", "b", "a", "c", "d", "e", "b"].map((v) => label.value(v));
    expect(values).toEqual(["a", "b", "a", "c", OTHER_LABEL, OTHER_LABEL, "b"]);
  });

  it("bounds a flood of distinct values to max + 1 series", () => {
    const label = new BoundedLabel({ max: 10 });
    const distinct = new Set(Array.from({ length: 10_000 }, (_, i) => label.value(`bucket-${i}`)));
    expect(distinct.size).toBe(11);
  });
});
