import { boundPorts } from "./bound-ports.ts";
import { privateBuckets, versionedBucketsExpire } from "./buckets.ts";
import { pinnedImages } from "./pinned-images.ts";
import { noAdministratorAgents, workQueuesDeadLetter } from "./queues.ts";

export {
  boundPorts,
  noAdministratorAgents,
  pinnedImages,
  privateBuckets,
  versionedBucketsExpire,
  workQueuesDeadLetter,
};
export { TYPES } from "./types.ts";

export const resourceRules = [
  pinnedImages,
  boundPorts,
  workQueuesDeadLetter,
  noAdministratorAgents,
  privateBuckets,
];
export const stackRules = [versionedBucketsExpire];
