import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import * as random from "@pulumi/random";
import type { ResolvedTopology } from "@aios/runtime/topology";
import { agentUserPlans, queuePlans } from "./plan.ts";

export interface MessagingTopologyArgs {
  readonly topology: ResolvedTopology;
  readonly provider: rabbitmq.Provider;
}

/** The RabbitMQ side of config/messaging.yaml: vhost, exchanges, queues, bindings, a DLQ policy, agent users. */
export class MessagingTopology extends pulumi.ComponentResource {
  readonly vhost: pulumi.Output<string>;
  readonly queueNames: pulumi.Output<string[]>;
  readonly agentPasswords: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: MessagingTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:messaging:MessagingTopology", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const { topology } = args;

    const vhost = new rabbitmq.VHost(`${name}-vhost`, { name: topology.vhost }, child);
    const inVhost = { ...child, dependsOn: [vhost] };

    const exchanges = topology.exchanges.map(
      (exchange) =>
        new rabbitmq.Exchange(
          `${name}-exchange-${exchange.name}`,
          {
            name: exchange.name,
            vhost: vhost.name,
            settings: {
              type: exchange.type,
              durable: exchange.durable,
              autoDelete: exchange.autoDelete,
              arguments: exchange.arguments as Record<string, string>,
            },
          },
          inVhost,
        ),
    );
    const queues = queuePlans(topology).map(
      (queue) =>
        new rabbitmq.Queue(
          `${name}-queue-${queue.name}`,
          {
            name: queue.name,
            vhost: vhost.name,
            settings: {
              durable: queue.durable,
              autoDelete: queue.autoDelete,
              argumentsJson: queue.argumentsJson,
            },
          },
          inVhost,
        ),
    );
    for (const binding of topology.bindings) {
      new rabbitmq.Binding(
        `${name}-binding-${binding.source}-${binding.destination}-${binding.routingKey}`,
        {
          vhost: vhost.name,
          source: binding.source,
          destination: binding.destination,
          destinationType: binding.destinationType,
          routingKey: binding.routingKey,
        },
        { ...child, dependsOn: [...exchanges, ...queues] },
      );
    }
    // Dead letters must not fill the broker's disk: cap every DLQ, oldest dropped first.
    new rabbitmq.Policy(
      `${name}-dlq-limit`,
      {
        name: "aios-dlq-limit",
        vhost: vhost.name,
        policy: {
          pattern: "\\.dlq$",
          priority: 0,
          applyTo: "queues",
          definition: { "max-length": "1000000" },
        },
      },
      inVhost,
    );

    this.agentPasswords = {};
    for (const user of agentUserPlans(topology)) {
      const password = new random.RandomPassword(
        `${name}-${user.username}-password`,
        { length: 32, special: false },
        { parent: this },
      );
      const rabbitUser = new rabbitmq.User(
        `${name}-${user.username}`,
        { name: user.username, password: password.result, tags: [] },
        child,
      );
      new rabbitmq.Permissions(
        `${name}-${user.username}-permissions`,
        { user: rabbitUser.name, vhost: vhost.name, permissions: user.permissions },
        child,
      );
      this.agentPasswords[user.agentType] = pulumi.secret(password.result);
    }

    this.vhost = vhost.name;
    this.queueNames = pulumi.output(topology.queues.map((q) => q.name));
    this.registerOutputs({ vhost: this.vhost, queueNames: this.queueNames });
  }
}
