// A minimal stand-in for the Pulumi engine's gRPC side, for tests that launch the program through
// @pulumi/pulumi's own `cmd/run` (as the Node language host does). It serves the ResourceMonitor
// and Engine services from the stubs @pulumi/pulumi ships (`@pulumi/pulumi/proto`) and records
// every RegisterResource request. It answers like an engine previewing a new stack: URNs built
// from the parent's type chain, no ids, the inputs echoed as outputs (missing outputs are unknown
// during a dry run). No providers run, nothing is diffed, no state is kept: it shows what the
// program asks the engine to register, not what an engine would do with it.
import { createRequire } from "node:module";
import type * as grpc from "@grpc/grpc-js";

const requireFromPulumi = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi"));
// The same module instances the SDK uses (grpc-js, google-protobuf), so messages are compatible.
const grpcJs = requireFromPulumi("@grpc/grpc-js") as typeof grpc;
const resourceGrpc = requireFromPulumi("./proto/resource_grpc_pb.js") as Record<string, unknown>;
const resourcePb = requireFromPulumi("./proto/resource_pb.js") as Record<string, new () => unknown>;
const engineGrpc = requireFromPulumi("./proto/engine_grpc_pb.js") as Record<string, unknown>;
const enginePb = requireFromPulumi("./proto/engine_pb.js") as Record<string, new () => unknown>;
const emptyPb = requireFromPulumi("google-protobuf/google/protobuf/empty_pb.js") as {
  Empty: new () => unknown;
};

/** What the program registered, as the engine received it. */
export interface RegisteredByProgram {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent: string;
  readonly urn: string;
  /** The inputs as plain JSON (secrets keep Pulumi's secret envelope). */
  readonly inputs: Record<string, unknown>;
}

/** A log line the program sent through the Engine service. */
export interface EngineLog {
  readonly severity: number;
  readonly message: string;
}

interface Struct {
  toJavaScript(): Record<string, unknown>;
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getObject(): Struct | undefined;
}
type Unary<Req> = (
  call: { request: Req },
  callback: (error: grpc.ServiceError | null, response?: unknown) => void,
) => void;
type Setter = Record<string, (value: unknown) => void>;

const newMessage = (pb: Record<string, new () => unknown>, name: string): Setter =>
  new (pb[name] as new () => Setter)();

/**
 * Serves ResourceMonitor and Engine on 127.0.0.1 and records registrations.
 *
 * @example
 * const engine = await FakeEngine.start({ project: "aios", stack: "dev" });
 * // launch `node … @pulumi/pulumi/cmd/run --monitor ${engine.address} --engine ${engine.address} …`
 * engine.registrations; // every RegisterResource request
 * await engine.stop();
 */
export class FakeEngine {
  readonly registrations: RegisteredByProgram[] = [];
  readonly logs: EngineLog[] = [];
  /** Features the program asked about, with the answer given. */
  readonly featureQueries = new Map<string, boolean>();
  rootResource = "";
  shutdownSignalled = false;

  private readonly server: grpc.Server;
  readonly address: string;

  private constructor(server: grpc.Server, address: string) {
    this.server = server;
    this.address = address;
  }

  /** Features this monitor supports; anything else is answered `false`, as an older engine would. */
  static readonly SUPPORTED_FEATURES = new Set(["secrets", "resourceReferences"]);

  static async start(stack: { project: string; stack: string }): Promise<FakeEngine> {
    const server = new grpcJs.Server();
    const chains = new Map<string, string>();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpcJs.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const engine = new FakeEngine(server, `127.0.0.1:${port}`);

    const supportsFeature: Unary<{ getId(): string }> = (call, callback) => {
      const id = call.request.getId();
      const supported = FakeEngine.SUPPORTED_FEATURES.has(id);
      engine.featureQueries.set(id, supported);
      const response = newMessage(resourcePb, "SupportsFeatureResponse");
      response.setHassupport?.(supported);
      callback(null, response);
    };
    const registerResource: Unary<RegisterRequest> = (call, callback) => {
      const request = call.request;
      const parentChain = chains.get(request.getParent());
      const chain = parentChain === undefined ? request.getType() : `${parentChain}$${request.getType()}`;
      const urn = `urn:pulumi:${stack.stack}::${stack.project}::${chain}::${request.getName()}`;
      chains.set(urn, chain);
      const object = request.getObject();
      engine.registrations.push({
        type: request.getType(),
        name: request.getName(),
        custom: request.getCustom(),
        parent: request.getParent(),
        urn,
        inputs: object?.toJavaScript() ?? {},
      });
      const response = newMessage(resourcePb, "RegisterResourceResponse");
      response.setUrn?.(urn);
      response.setId?.("");
      if (object !== undefined) response.setObject?.(object);
      callback(null, response);
    };
    const empty: Unary<unknown> = (_call, callback) => callback(null, new emptyPb.Empty());
    const unimplemented =
      (what: string): Unary<unknown> =>
      (_call, callback) =>
        callback({
          code: grpcJs.status.UNIMPLEMENTED,
          details: `the test's fake engine does not implement ${what}`,
          message: what,
          name: "UNIMPLEMENTED",
          metadata: new grpcJs.Metadata(),
        });

    server.addService(resourceGrpc.ResourceMonitorService as grpc.ServiceDefinition, {
      supportsFeature,
      registerResource,
      registerResourceOutputs: empty,
      signalAndWaitForShutdown: ((call, callback) => {
        engine.shutdownSignalled = true;
        empty(call, callback);
      }) satisfies Unary<unknown>,
      invoke: unimplemented("Invoke"),
      call: unimplemented("Call"),
      readResource: unimplemented("ReadResource"),
    });
    server.addService(engineGrpc.EngineService as grpc.ServiceDefinition, {
      log: ((call, callback) => {
        engine.logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage() });
        empty(call, callback);
      }) satisfies Unary<{ getSeverity(): number; getMessage(): string }>,
      getRootResource: ((_call, callback) => {
        const response = newMessage(enginePb, "GetRootResourceResponse");
        response.setUrn?.(engine.rootResource);
        callback(null, response);
      }) satisfies Unary<unknown>,
      setRootResource: ((call, callback) => {
        engine.rootResource = call.request.getUrn();
        callback(null, newMessage(enginePb, "SetRootResourceResponse"));
      }) satisfies Unary<{ getUrn(): string }>,
    });
    return engine;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
