import { describe, expect, it } from "vitest";
import { LruCache } from "./lru-cache.ts";

describe("LruCache", () => {
  it("forgets the least recently used entry when full", () => {
    const cache = new LruCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1); // "b" is now the oldest
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    expect(cache.get("c")).toBe(3);
  });

  it("replaces a value set again without growing", () => {
    const cache = new LruCache<string, number>(1);
    cache.set("a", 1);
    cache.set("a", 2);
    expect(cache.get("a")).toBe(2);
  });

  it("forgets the entries whose key matches, and only those", () => {
    const cache = new LruCache<string, number>(4);
    cache.set("ws/a/1", 1);
    cache.set("ws/b/2", 2);
    cache.set("ws/a/3", 3);
    cache.deleteWhere((key) => key.startsWith("ws/a/"));
    expect(cache.get("ws/a/1")).toBeUndefined();
    expect(cache.get("ws/a/3")).toBeUndefined();
    expect(cache.get("ws/b/2")).toBe(2);
  });
});
