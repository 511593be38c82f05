import type { Command } from "commander";

// Placeholder until the storage commands land; registers nothing.
export function registerStorageCommands(_program: Command): void {}
