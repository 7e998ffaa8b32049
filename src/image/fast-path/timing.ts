// Timing spans of the model-layer path, logged at debug level (`fast-path span <name>: <start> →
// <end> ms`, from the start of the release), so a run with debug output, and bench:fastpath, show
// where the time goes and which steps overlap.
import type { Logger } from '../../logger.js';

export const SPAN_PREFIX = 'fast-path span ';

export type Span = <T>(name: string, work: Promise<T>) => Promise<T>;

export function spans(logger: Logger, origin = performance.now()): Span {
  return async (name, work) => {
    const start = performance.now() - origin;
    try {
      return await work;
    } finally {
      const end = performance.now() - origin;
      logger.debug(
        `${SPAN_PREFIX}${name}: ${start.toFixed(1)} → ${end.toFixed(1)} ms (${(end - start).toFixed(1)} ms)`,
      );
    }
  };
}

/** A span that logs nothing, for callers without a release around them. */
export const noSpan: Span = (_name, work) => work;
