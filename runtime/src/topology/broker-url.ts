import { InvalidArgumentError } from "../errors.ts";
import { redactUrl } from "../logging.ts";
import { TopologyVhostConflictError } from "./errors.ts";

/**
 * The vhost an AMQP URL names, or undefined when it names none (no path, or only `/`: amqplib
 * would then use the broker's default vhost `/`). `%2F` names `/` explicitly.
 */
export function vhostOfAmqpUrl(url: string): string | undefined {
  const path = parseUrl(url).pathname;
  if (path === "" || path === "/") return undefined;
  return decodeURIComponent(path.slice(1));
}

/**
 * The URL to declare a topology through: the given URL pointed at the topology's vhost. A
 * topology belongs to one vhost, so a URL that names another one is refused rather than guessed
 * about: `apply` declaring into one vhost while `verify` reads another was defect 3 of issue 9.
 *
 * @throws {@link TopologyVhostConflictError} when the URL names a different vhost.
 * @throws {@link InvalidArgumentError} when the URL cannot be parsed.
 */
export function amqpUrlForVhost(url: string, vhost: string): string {
  const named = vhostOfAmqpUrl(url);
  if (named !== undefined && named !== vhost) throw new TopologyVhostConflictError(named, vhost);
  const parsed = parseUrl(url);
  parsed.pathname = `/${encodeURIComponent(vhost)}`;
  return parsed.toString();
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch (error) {
    throw new InvalidArgumentError("broker URL", `not a URL: ${redactUrl(url)}`, { cause: error });
  }
}
