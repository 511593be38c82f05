// The policy pack entry: `pulumi preview --policy-pack policies` runs these rules on every stack.
import { PolicyPack } from "@pulumi/policy";
import { resourceRules, stackRules } from "./rules/index.ts";

new PolicyPack("aios", { policies: [...resourceRules, ...stackRules] });
