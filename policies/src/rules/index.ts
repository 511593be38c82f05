import { bucketsVersionedAndExpiring, privateBuckets } from "./buckets.ts";
import { noCredentialsInEnv } from "./credentials.ts";
import { pinnedImages } from "./pinned-images.ts";
import { managementPortsOnLoopback, portsBoundToAnAddress } from "./ports.ts";
import { durableQueues, workQueuesDeadLetter } from "./queues.ts";
import type { ResourceRule, StackRule } from "./types.ts";
import { leastPrivilegePermissions, noElevatedUsers } from "./users.ts";

export {
  bucketsVersionedAndExpiring,
  durableQueues,
  leastPrivilegePermissions,
  managementPortsOnLoopback,
  noCredentialsInEnv,
  noElevatedUsers,
  pinnedImages,
  portsBoundToAnAddress,
  privateBuckets,
  workQueuesDeadLetter,
};
export { TYPES, type ResourceRule, type StackRule } from "./types.ts";

export const resourceRules: readonly ResourceRule[] = [
  pinnedImages,
  portsBoundToAnAddress,
  managementPortsOnLoopback,
  noCredentialsInEnv,
  durableQueues,
  workQueuesDeadLetter,
  noElevatedUsers,
  leastPrivilegePermissions,
  privateBuckets,
];
export const stackRules: readonly StackRule[] = [bucketsVersionedAndExpiring];
