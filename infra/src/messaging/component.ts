import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import * as random from "@pulumi/random";
import type { ResolvedTopology } from "@aios/runtime/topology";
import { type MessagingPlanOptions, topologyOwnerUser, topologyToResources } from "./plan.ts";

export interface MessagingTopologyArgs {
  readonly topology: ResolvedTopology;
  readonly provider: rabbitmq.Provider;
  readonly options?: MessagingPlanOptions;
  /** Also create a user that may declare the whole topology (dev: the example agents). */
  readonly topologyOwner?: string;
  /**
   * The user the provider logs in as (created by the broker's boot-time definitions): it gets
   * full rights on the AIOS vhost, which it declares queues and bindings in.
   */
  readonly provisionerUser?: string;
  /**
   * The operators' administrator: a `User` managed here, so a new password (stack secret) is
   * applied to the running broker in place on the next `pulumi up`.
   */
  readonly administrator?: { readonly name: string; readonly password: pulumi.Input<string> };
}

/**
 * The RabbitMQ side of config/messaging.yaml: vhost, exchanges, queues, bindings, policies and one
 * least-privilege user per agent type. Every name and argument comes from `topologyToResources`.
 */
export class MessagingTopology extends pulumi.ComponentResource {
  readonly vhost: pulumi.Output<string>;
  readonly queueNames: pulumi.Output<string[]>;
  readonly exchangeNames: pulumi.Output<string[]>;
  /** Agent type (or `*` for the topology owner) → its AMQP password (secret). */
  readonly agentPasswords: Readonly<Record<string, pulumi.Output<string>>>;
  readonly agentUsernames: Readonly<Record<string, string>>;

  constructor(name: string, args: MessagingTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:messaging:MessagingTopology", name, {}, opts);
    const plan = topologyToResources(args.topology, args.options);
    const child = { parent: this, provider: args.provider };

    const vhost = new rabbitmq.VHost(`${name}-vhost`, { name: plan.vhost }, child);
    // Referencing vhost.name (not the plain string) orders every resource after the vhost.
    const exchanges = new Map(
      plan.exchanges.map((exchange) => [
        exchange.name,
        new rabbitmq.Exchange(
          `${name}-exchange-${exchange.name}`,
          {
            name: exchange.name,
            vhost: vhost.name,
            settings: {
              type: exchange.type,
              durable: exchange.durable,
              autoDelete: exchange.autoDelete,
              arguments: { ...exchange.arguments },
            },
          },
          child,
        ),
      ]),
    );
    const queues = new Map(
      plan.queues.map((queue) => [
        queue.name,
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
          child,
        ),
      ]),
    );
    for (const binding of plan.bindings) {
      const endpoints = [
        exchanges.get(binding.source),
        binding.destinationType === "queue"
          ? queues.get(binding.destination)
          : exchanges.get(binding.destination),
      ].filter((r): r is rabbitmq.Exchange | rabbitmq.Queue => r !== undefined);
      new rabbitmq.Binding(
        `${name}-binding-${binding.key}`,
        {
          vhost: vhost.name,
          source: binding.source,
          destination: binding.destination,
          destinationType: binding.destinationType,
          routingKey: binding.routingKey,
        },
        { ...child, dependsOn: endpoints },
      );
    }
    for (const policy of plan.policies) {
      new rabbitmq.Policy(
        `${name}-policy-${policy.name}`,
        {
          name: policy.name,
          vhost: vhost.name,
          policy: {
            pattern: policy.pattern,
            priority: policy.priority,
            applyTo: policy.applyTo,
            definition: { ...policy.definition },
          },
        },
        child,
      );
    }

    const fullRights = { configure: ".*", write: ".*", read: ".*" };
    if (args.provisionerUser !== undefined) {
      new rabbitmq.Permissions(
        `${name}-${args.provisionerUser}-permissions`,
        { user: args.provisionerUser, vhost: vhost.name, permissions: fullRights },
        child,
      );
    }
    if (args.administrator !== undefined) {
      const admin = new rabbitmq.User(
        `${name}-${args.administrator.name}`,
        {
          name: args.administrator.name,
          password: pulumi.secret(args.administrator.password),
          tags: ["administrator"],
        },
        child,
      );
      new rabbitmq.Permissions(
        `${name}-${args.administrator.name}-permissions`,
        { user: admin.name, vhost: vhost.name, permissions: fullRights },
        child,
      );
    }

    const passwords: Record<string, pulumi.Output<string>> = {};
    const usernames: Record<string, string> = {};
    const users = args.topologyOwner
      ? [...plan.users, topologyOwnerUser(args.topology, args.topologyOwner)]
      : plan.users;
    for (const user of users) {
      const password = new random.RandomPassword(
        `${name}-${user.username}-password`,
        { length: 32, special: false },
        { parent: this },
      );
      const rabbitUser = new rabbitmq.User(
        `${name}-${user.username}`,
        { name: user.username, password: pulumi.secret(password.result), tags: [...user.tags] },
        child,
      );
      new rabbitmq.Permissions(
        `${name}-${user.username}-permissions`,
        { user: rabbitUser.name, vhost: vhost.name, permissions: { ...user.permissions } },
        child,
      );
      if (user.topicPermissions.length > 0) {
        new rabbitmq.TopicPermissions(
          `${name}-${user.username}-topic-permissions`,
          {
            user: rabbitUser.name,
            vhost: vhost.name,
            permissions: user.topicPermissions.map((p) => ({ ...p })),
          },
          { ...child, dependsOn: [...exchanges.values()] },
        );
      }
      passwords[user.agentType] = pulumi.secret(password.result);
      usernames[user.agentType] = user.username;
    }

    this.vhost = vhost.name;
    this.queueNames = pulumi.output(plan.queues.map((q) => q.name));
    this.exchangeNames = pulumi.output(plan.exchanges.map((e) => e.name));
    this.agentPasswords = passwords;
    this.agentUsernames = usernames;
    this.registerOutputs({
      vhost: this.vhost,
      queueNames: this.queueNames,
      exchangeNames: this.exchangeNames,
    });
  }
}
