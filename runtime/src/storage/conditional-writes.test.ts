import { describe, expect, it } from "vitest";
import { conditionHeaders, conditionOf } from "./conditional-writes.ts";

describe("conditional write headers", () => {
  it("sends If-None-Match: * to create only", () => {
    expect(conditionOf({ ifNoneMatch: "*" })).toBe("If-None-Match: *");
    expect(conditionHeaders({ ifNoneMatch: "*" })).toEqual({ "If-None-Match": "*" });
  });

  it("sends the etag of If-Match bare (Ceph RGW answers 412 to a quoted one)", () => {
    expect(conditionOf({ ifMatch: '"abc"' })).toBe('If-Match: "abc"');
    expect(conditionHeaders({ ifMatch: '"abc"' })).toEqual({ "If-Match": "abc" });
  });

  it("adds nothing to a plain write", () => {
    expect(conditionOf({})).toBeUndefined();
    expect(conditionHeaders({ contentType: "text/plain" })).toEqual({});
  });
});
