// What the RabbitMQ provider (@pulumi/rabbitmq, bridged from cyrilgdn/terraform-provider-rabbitmq
// over michaelklishin/rabbit-hole) sends to the management HTTP API when it creates each resource
// type this program declares. Rewritten from the provider's resource_*.go so tests can apply the
// declared broker resources to a real broker without the Pulumi engine or the provider plugin:
// - VHost            PUT  /api/vhosts/{name}                         {}
// - Exchange         PUT  /api/exchanges/{vhost}/{name}              {type, durable, auto_delete, arguments}
// - Queue            PUT  /api/queues/{vhost}/{name}                 {durable, auto_delete, arguments}
//                    (`settings.argumentsJson` is JSON-decoded and used as `arguments`; plain
//                    `settings.arguments` is a map of strings, sent as strings)
// - Binding          POST /api/bindings/{vhost}/e/{source}/{q|e}/{destination} {routing_key, arguments}
//                    (the provider keeps the Location header's last segment as `propertiesKey`)
// - Policy           PUT  /api/policies/{vhost}/{name}               {pattern, priority, apply-to, definition}
//                    (a definition value that parses as an integer is sent as a number: the
//                    provider's schema holds strings, "100000" becomes 100000; other strings stay)
// - User             PUT  /api/users/{name}                          {password, tags: "a,b"}
// - Permissions      PUT  /api/permissions/{vhost}/{user}            {configure, write, read}
// - TopicPermissions PUT  /api/topic-permissions/{vhost}/{user}      {exchange, write, read}, one call per entry
// Delete, update and refresh paths are not rewritten: only creation is exercised.

/** A declared resource, as `npm run plan -- <stack> --json` prints it. */
export interface DeclaredResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

/** One management API call. */
export interface ManagementCall {
  readonly resource: string;
  readonly method: "PUT" | "POST";
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** How declared names map to the broker the test applies them to. */
export interface Placement {
  /** The test's vhost, replacing the declared one (the shared broker's `aios` vhost is left alone). */
  readonly vhost: string;
  /** Users are broker-wide: a test prefix keeps them apart from everyone else's. */
  readonly username: (declared: string) => string;
  /** Passwords are secrets in the plan (masked): the test brings its own. */
  readonly password: (declared: string) => string;
}

/** The order the engine's dependency graph gives: containers first, then what lives in them. */
const ORDER = [
  "rabbitmq:index/vHost:VHost",
  "rabbitmq:index/exchange:Exchange",
  "rabbitmq:index/queue:Queue",
  "rabbitmq:index/binding:Binding",
  "rabbitmq:index/policy:Policy",
  "rabbitmq:index/user:User",
  "rabbitmq:index/permissions:Permissions",
  "rabbitmq:index/topicPermissions:TopicPermissions",
];

const segment = encodeURIComponent;
const text = (value: unknown): string => (typeof value === "string" ? value : String(value ?? ""));
const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};

/** The provider's policy definition: integer strings become numbers, everything else is kept. */
export function policyDefinition(definition: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(definition).map(([key, value]) => [
      key,
      typeof value === "string" && /^[+-]?\d+$/.test(value) ? Number.parseInt(value, 10) : value,
    ]),
  );
}

/**
 * The management API calls that create the declared broker resources, in dependency order.
 *
 * @throws Error naming the resource when a declared type is not one this rewrite knows.
 */
export function managementCalls(
  declared: readonly DeclaredResource[],
  placement: Placement,
): ManagementCall[] {
  const broker = declared.filter((r) => r.type.startsWith("rabbitmq:index/"));
  for (const resource of broker) {
    if (!ORDER.includes(resource.type))
      throw new Error(`${resource.type} ${resource.name}: no management API rewrite for this type`);
  }
  const vhost = segment(placement.vhost);
  const sorted = [...broker].sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
  return sorted.flatMap((resource): ManagementCall[] => {
    const inputs = resource.inputs;
    const call = (method: "PUT" | "POST", path: string, body: Record<string, unknown>): ManagementCall => ({
      resource: `${resource.type} ${resource.name}`,
      method,
      path,
      body,
    });
    switch (resource.type) {
      case "rabbitmq:index/vHost:VHost":
        return [call("PUT", `/api/vhosts/${vhost}`, {})];
      case "rabbitmq:index/exchange:Exchange": {
        const settings = record(inputs.settings);
        return [
          call("PUT", `/api/exchanges/${vhost}/${segment(text(inputs.name))}`, {
            type: settings.type,
            durable: settings.durable ?? false,
            auto_delete: settings.autoDelete ?? false,
            arguments: record(settings.arguments),
          }),
        ];
      }
      case "rabbitmq:index/queue:Queue": {
        const settings = record(inputs.settings);
        const json = typeof settings.argumentsJson === "string" ? settings.argumentsJson : "";
        return [
          call("PUT", `/api/queues/${vhost}/${segment(text(inputs.name))}`, {
            durable: settings.durable ?? false,
            auto_delete: settings.autoDelete ?? false,
            arguments:
              json === "" ? record(settings.arguments) : (JSON.parse(json) as Record<string, unknown>),
          }),
        ];
      }
      case "rabbitmq:index/binding:Binding": {
        const kind = inputs.destinationType === "queue" ? "q" : "e";
        const json = typeof inputs.argumentsJson === "string" ? inputs.argumentsJson : "";
        return [
          call(
            "POST",
            `/api/bindings/${vhost}/e/${segment(text(inputs.source))}/${kind}/${segment(text(inputs.destination))}`,
            {
              routing_key: text(inputs.routingKey),
              arguments:
                json === "" ? record(inputs.arguments) : (JSON.parse(json) as Record<string, unknown>),
            },
          ),
        ];
      }
      case "rabbitmq:index/policy:Policy": {
        const policy = record(inputs.policy);
        return [
          call("PUT", `/api/policies/${vhost}/${segment(text(inputs.name))}`, {
            pattern: policy.pattern,
            priority: policy.priority ?? 0,
            "apply-to": policy.applyTo,
            definition: policyDefinition(record(policy.definition)),
          }),
        ];
      }
      case "rabbitmq:index/user:User": {
        const declaredName = text(inputs.name);
        const tags = Array.isArray(inputs.tags) ? (inputs.tags as string[]) : [];
        return [
          call("PUT", `/api/users/${segment(placement.username(declaredName))}`, {
            password: placement.password(declaredName),
            tags: tags.join(","),
          }),
        ];
      }
      case "rabbitmq:index/permissions:Permissions": {
        const permissions = record(inputs.permissions);
        return [
          call("PUT", `/api/permissions/${vhost}/${segment(placement.username(text(inputs.user)))}`, {
            configure: permissions.configure ?? "",
            write: permissions.write ?? "",
            read: permissions.read ?? "",
          }),
        ];
      }
      default: {
        const user = segment(placement.username(text(inputs.user)));
        const entries = Array.isArray(inputs.permissions) ? (inputs.permissions as unknown[]) : [];
        return entries.map((entry) => {
          const permission = record(entry);
          return call("PUT", `/api/topic-permissions/${vhost}/${user}`, {
            exchange: permission.exchange,
            write: permission.write ?? "",
            read: permission.read ?? "",
          });
        });
      }
    }
  });
}
