import * as pulumi from "@pulumi/pulumi";

// Pulumi's mocks (`pulumi.runtime.setMocks`) record what a program asks the engine to register:
// no engine, no providers, no deploy. This records every registration with its inputs as the
// engine would receive them (secrets still marked) and the URN the mock monitor gave it, whose
// type chain names the parent components.

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Resource options the program set, as the engine receives them. */
export interface RegisteredOptions {
  /** The parent's URN; empty for the stack itself. */
  readonly parent: string;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  /** URNs of explicit and implicit (input) dependencies. */
  readonly dependencies: readonly string[];
}

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly options: RegisteredOptions;
  /** Inputs as serialized for the engine: secret values are `{ [sig]: secret, value }`. */
  readonly inputs: Record<string, unknown>;
}

export interface RegisteredResource extends Registration {
  readonly urn: string;
  /** The inputs with secrets unwrapped, as the policy engine sees them. */
  readonly props: Record<string, unknown>;
  /** Top-level input names whose value is (or contains) a secret. */
  readonly secretInputs: ReadonlySet<string>;
  /** Types of the ancestors, outermost first (from the URN's type chain). */
  readonly parentTypes: readonly string[];
}

export const isSecretValue = (value: unknown): value is { value: unknown } =>
  typeof value === "object" &&
  value !== null &&
  (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;

function unwrap(value: unknown): { value: unknown; secret: boolean } {
  if (isSecretValue(value)) return { value: unwrap(value.value).value, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(unwrap);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([k, v]) => [k, unwrap(v)] as const);
    return {
      value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
      secret: entries.some(([, v]) => v.secret),
    };
  }
  return { value, secret: false };
}

/** State a provider would return: the inputs, plus the outputs the program reads. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const state: Record<string, unknown> = { ...inputs };
  if (type === "random:index/randomPassword:RandomPassword") state.result = `mock-password-${name}`;
  if (type === "docker:index/remoteImage:RemoteImage")
    state.imageId = `sha256:${"0".repeat(56)}${name.length.toString(16).padStart(8, "0")}`;
  if (type === "docker:index/image:Image") state.repoDigest = "";
  return state;
}

interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
}
type RegisterResource = (req: RegisterResourceRequest, callback: (...args: unknown[]) => void) => unknown;

export class RecordingMocks {
  readonly registrations: Registration[] = [];
  // The mocks' newResource sees no resource options; the monitor's request carries them.
  private readonly pendingOptions = new Map<string, RegisteredOptions>();

  async install(stack: string, preview = false): Promise<void> {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          const key = `${args.type}::${args.name}`;
          const options = this.pendingOptions.get(key) ?? {
            parent: "",
            protect: false,
            retainOnDelete: false,
            deleteBeforeReplace: false,
            dependencies: [],
          };
          this.pendingOptions.delete(key);
          this.registrations.push({
            type: args.type,
            name: args.name,
            custom: args.custom ?? true,
            options,
            inputs: args.inputs,
          });
          return { id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs) };
        },
        call: (args) => args.inputs,
      },
      "aios",
      stack,
      preview,
    );
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: RegisterResource };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      this.pendingOptions.set(`${req.getType()}::${req.getName()}`, {
        parent: req.getParent(),
        protect: req.getProtect() ?? false,
        retainOnDelete: req.getRetainondelete() ?? false,
        deleteBeforeReplace: req.getDeletebeforereplace(),
        dependencies: req.getDependenciesList(),
      });
      return register(req, callback);
    };
  }

  reset(): void {
    this.registrations.length = 0;
  }

  /** Waits until no registration arrived for a few event-loop turns. */
  async settle(): Promise<void> {
    let seen = -1;
    let quiet = 0;
    while (quiet < 5) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (this.registrations.length === seen) quiet++;
      else {
        seen = this.registrations.length;
        quiet = 0;
      }
    }
  }

  /** The registrations since the last reset, with their URNs from the mock monitor. */
  resources(): RegisteredResource[] {
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      getRegisteredResources(): Map<string, unknown>;
    };
    const urns = [...monitor.getRegisteredResources().keys()];
    return this.registrations.map((registration) => {
      const urn = urns.findLast(
        (u) =>
          u.endsWith(`::${registration.name}`) && u.split("::")[2]?.split("$").pop() === registration.type,
      );
      if (urn === undefined) throw new Error(`no URN for ${registration.type} ${registration.name}`);
      const chain = urn.split("::")[2]?.split("$") ?? [];
      const secretInputs = new Set<string>();
      const props: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(registration.inputs)) {
        const unwrapped = unwrap(value);
        props[key] = unwrapped.value;
        if (unwrapped.secret) secretInputs.add(key);
      }
      return { ...registration, urn, props, secretInputs, parentTypes: chain.slice(0, -1) };
    });
  }
}
