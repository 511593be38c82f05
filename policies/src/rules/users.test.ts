import { describe, expect, it } from "vitest";
import { resourceViolations } from "../testing/validate.ts";
import { TYPES } from "./types.ts";
import { leastPrivilegePermissions, noElevatedUsers } from "./users.ts";

const user = (name: string, tags: string[]) => ({ type: TYPES.user, props: { name, tags } });
const permissions = (name: string, configure: string, write: string, read: string) => ({
  type: TYPES.permissions,
  props: { user: name, vhost: "aios", permissions: { configure, write, read } },
});

describe("rabbitmq-users-not-administrators", () => {
  it("accepts agent users without tags and the platform administrator", async () => {
    expect(await resourceViolations(noElevatedUsers, user("agent-coder", []))).toEqual([]);
    expect(await resourceViolations(noElevatedUsers, user("aios-admin", ["administrator"]))).toEqual([]);
  });

  it("refuses elevated tags on anyone else", async () => {
    expect(
      await resourceViolations(noElevatedUsers, user("agent-coder", ["administrator", "monitoring"])),
    ).toEqual(["user 'agent-coder' has elevated tags: administrator, monitoring"]);
    expect(
      await resourceViolations(noElevatedUsers, user("aios-admin", ["administrator"]), {
        administrators: [],
      }),
    ).toHaveLength(1);
  });
});

describe("rabbitmq-permissions-least-privilege", () => {
  it("accepts permissions limited to named resources", async () => {
    expect(
      await resourceViolations(
        leastPrivilegePermissions,
        permissions("agent-coder", "^$", "^(aios\\.tasks)$", "^(agents\\.coder)$"),
      ),
    ).toEqual([]);
  });

  it("refuses `.*` for an agent, naming the permission", async () => {
    expect(
      await resourceViolations(leastPrivilegePermissions, permissions("agent-coder", "^$", ".*", "^.*$")),
    ).toEqual([
      "user 'agent-coder' may write everything in vhost 'aios' ('.*')",
      "user 'agent-coder' may read everything in vhost 'aios' ('^.*$')",
    ]);
  });
});
