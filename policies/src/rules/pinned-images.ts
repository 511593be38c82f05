import { TYPES, type ResourceRule } from "./types.ts";

/** An image without a version, or `:latest`, changes under you: every deploy must be reproducible. */
export const pinnedImages: ResourceRule = {
  name: "pinned-container-images",
  description: "Container images carry an explicit version tag or digest, never :latest.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.remoteImage) return;
    const image = String(args.props.name ?? "");
    const lastSegment = image.split("/").pop() ?? "";
    if (image.includes("@sha256:")) return;
    if (!lastSegment.includes(":") || lastSegment.endsWith(":latest")) {
      reportViolation(`image '${image}' is not pinned: use an explicit version tag or a digest`);
    }
  },
};
