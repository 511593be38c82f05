import { bucketsVersionedAndExpiring, privateBuckets } from "./buckets.ts";
import { noCredentialsInEnv, noDefaultCredentials } from "./credentials.ts";
import { pinnedImages } from "./pinned-images.ts";
import { managementPortsOnLoopback, portsBoundToAnAddress } from "./ports.ts";
import { productionBrokerCluster, productionQueuesQuorum, statefulContainers } from "./production.ts";
import { durableQueues, workQueuesDeadLetter } from "./queues.ts";
import type { ResourceRule, StackRule } from "./types.ts";
import { leastPrivilegePermissions, noElevatedUsers } from "./users.ts";

export {
  bucketsVersionedAndExpiring,
  durableQueues,
  leastPrivilegePermissions,
  managementPortsOnLoopback,
  noCredentialsInEnv,
  noDefaultCredentials,
  noElevatedUsers,
  pinnedImages,
  portsBoundToAnAddress,
  privateBuckets,
  productionBrokerCluster,
  productionQueuesQuorum,
  statefulContainers,
  workQueuesDeadLetter,
};
export { TYPES, type ResourceRule, type StackRule } from "./types.ts";

export const resourceRules: readonly ResourceRule[] = [
  pinnedImages,
  portsBoundToAnAddress,
  managementPortsOnLoopback,
  noCredentialsInEnv,
  noDefaultCredentials,
  statefulContainers,
  durableQueues,
  workQueuesDeadLetter,
  productionQueuesQuorum,
  noElevatedUsers,
  leastPrivilegePermissions,
  privateBuckets,
];
export const stackRules: readonly StackRule[] = [bucketsVersionedAndExpiring, productionBrokerCluster];
