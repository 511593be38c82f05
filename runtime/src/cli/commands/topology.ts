import type { Command } from "commander";

// Placeholder until the topology commands land; registers nothing.
export function registerTopologyCommands(_program: Command): void {}
