import { TYPES, type ResourceRule } from "./types.ts";

/** The tag of an image reference (`registry:5000/name:tag`), or undefined when it has none. */
function tagOf(image: string): string | undefined {
  const lastSegment = image.split("/").pop() ?? "";
  const colon = lastSegment.lastIndexOf(":");
  return colon === -1 ? undefined : lastSegment.slice(colon + 1);
}

/** An image without a version, or `:latest`, changes under you: every deploy must be reproducible. */
export const pinnedImages: ResourceRule = {
  name: "pinned-container-images",
  description: "Container images carry an explicit version tag or a digest, never :latest or no tag.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    let image: string;
    if (args.type === TYPES.remoteImage) image = String(args.props.name ?? "");
    else if (args.type === TYPES.image) image = String(args.props.imageName ?? "");
    else return;
    if (/@sha256:[0-9a-f]{64}$/.test(image)) return;
    const tag = tagOf(image);
    if (tag === undefined || tag === "" || tag === "latest") {
      reportViolation(`image '${image}' is not pinned: use an explicit version tag or a sha256 digest`);
    }
  },
};
