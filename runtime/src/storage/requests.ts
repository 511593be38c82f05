import { AsyncLocalStorage } from "node:async_hooks";
import type { ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import * as http from "node:http";
import * as https from "node:https";

/**
 * The HTTP requests one SDK call made. minio-js takes no AbortSignal (its issues #523, #722), so
 * the store hands it a transport that files every request under the call running it (found
 * through AsyncLocalStorage); cancelling the call destroys its sockets, and the server sees a
 * truncated request instead of a PUT that lands after the caller was told it failed.
 */
export class RequestScope {
  readonly #requests = new Set<ClientRequest | IncomingMessage>();
  readonly #parent: RequestScope | undefined;
  #destroyed: Error | undefined;
  /** HTTP status of the last response seen in this scope (minio-js drops it from empty-bodied 5xx errors). */
  lastStatus: number | undefined;

  constructor(parent?: RequestScope) {
    this.#parent = parent;
  }

  /** Runs `fn` with every request it makes filed under this scope (and its parents). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return storage.run(this, fn);
  }

  /** A scope for one attempt inside this one: its status is its own, cancelling the parent reaches it. */
  child(): RequestScope {
    return new RequestScope(this);
  }

  destroy(error: Error): void {
    this.#destroyed ??= error;
    for (const request of this.#requests) request.destroy(error);
    this.#requests.clear();
  }

  track(item: ClientRequest | IncomingMessage): void {
    if (this.#destroyed) {
      item.destroy(this.#destroyed);
      return;
    }
    this.#requests.add(item);
    item.once("close", () => this.#requests.delete(item));
    this.#parent?.track(item);
  }

  seen(status: number | undefined): void {
    this.lastStatus = status;
    this.#parent?.seen(status);
  }
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The scope of the call running now, if any. */
export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

/**
 * Runs cleanup (aborting a multipart upload) outside the cancelled call's scope, whose new
 * requests are destroyed on sight so that nothing the call started late can land.
 */
export function outsideScope<T>(fn: () => Promise<T>): Promise<T> {
  return storage.exit(fn);
}

/** An http(s) transport for minio-js that registers each request with the current scope. */
export function scopedTransport(secure: boolean): { request: typeof http.request } {
  const base = secure ? https : http;
  const request = (options: RequestOptions, callback?: (response: IncomingMessage) => void) => {
    const scope = storage.getStore();
    const req = base.request(options, (response) => {
      scope?.seen(response.statusCode);
      if (scope) scope.track(response);
      callback?.(response);
    });
    scope?.track(req);
    return req;
  };
  return { request: request as typeof http.request };
}
