import type { Command } from "commander";

// Placeholder until the workspace commands land; registers nothing.
export function registerWorkspaceCommands(_program: Command): void {}
