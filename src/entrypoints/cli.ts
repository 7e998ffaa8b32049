#!/usr/bin/env node
import { main } from '../cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  log: (line) => process.stdout.write(line + '\n'),
  error: (line) => process.stderr.write(line + '\n'),
  env: process.env,
});
