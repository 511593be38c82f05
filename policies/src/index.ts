// The policy pack entry (PulumiPolicy.yaml): `pulumi preview --policy-pack policies` runs these
// rules on every stack. The rules live in ./rules, one concern per module, tested on their own.
import { PolicyPack } from "@pulumi/policy";
import { resourceRules, stackRules } from "./rules/index.ts";

new PolicyPack("aios", { policies: [...resourceRules, ...stackRules] });
