import type { Command } from "commander";

// Placeholder until the dlq commands land; registers nothing.
export function registerDlqCommands(_program: Command): void {}
