// src/logger.ts with every line its loggers write journaled (memoryLogger keeps lines only in memory,
// and a consoleLogger given a writer may send them anywhere). The default consoleLogger writes to
// stderr, which the setup file journals already.
import * as real from '../../../src/logger.js';
import { journaledWriter } from './journaled.js';
import { journalText } from '../journal.js';

export * from '../../../src/logger.js';

export function consoleLogger(...[write, verbose]: Parameters<typeof real.consoleLogger>): real.Logger {
  return real.consoleLogger(write && journaledWriter('consoleLogger', write), verbose);
}

export function memoryLogger(): ReturnType<typeof real.memoryLogger> {
  const logger = real.memoryLogger();
  const { lines } = logger;
  const push = lines.push;
  // Not enumerable, so that assertions such as toEqual on `lines` see a plain array.
  Object.defineProperty(lines, 'push', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: (...items: string[]): number => {
      for (const item of items) journalText('memoryLogger', item);
      return push.apply(lines, items);
    },
  });
  return logger;
}
