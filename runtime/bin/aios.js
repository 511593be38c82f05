#!/usr/bin/env node
// The published entry point runs the compiled CLI; inside this repository use `npm run aios`,
// which runs the TypeScript source directly.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv);
