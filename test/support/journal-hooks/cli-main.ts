// src/cli/main.ts with every line the CLI prints journaled (tests hand it writers that keep lines).
import * as real from '../../../src/cli/main.js';
import { journaledWriter } from './journaled.js';

export * from '../../../src/cli/main.js';

export function main(argv: string[], io: real.CliIo): Promise<number> {
  return real.main(argv, {
    ...io,
    log: journaledWriter('cli stdout', (line) => io.log(line)),
    error: journaledWriter('cli stderr', (line) => io.error(line)),
  });
}
