import { InvalidKeyError } from "./errors.ts";

const MAX_KEY_BYTES = 1024;

/** S3's limits plus what breaks tools and paths: control characters, empty or dot segments. */
export function validateKey(key: string): string {
  if (key.length === 0) throw new InvalidKeyError(key, "the key is empty");
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES)
    throw new InvalidKeyError(key, `longer than ${MAX_KEY_BYTES} bytes in UTF-8`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new InvalidKeyError(key, "contains a control character");
  if (key.startsWith("/")) throw new InvalidKeyError(key, "starts with '/'");
  if (
    key
      .split("/")
      .some(
        (segment, i, all) => segment === ".." || segment === "." || (segment === "" && i < all.length - 1),
      )
  ) {
    throw new InvalidKeyError(key, "has an empty, '.' or '..' segment");
  }
  return key;
}
