// The logging seam every stage receives: GitHub Actions groups and annotations in a workflow,
// plain lines on a terminal. Stages never print directly.

export interface Logger {
  info(message: string): void;
  warning(message: string, annotation?: { file?: string; title?: string }): void;
  error(message: string, annotation?: { file?: string; title?: string }): void;
  debug(message: string): void;
  /** Runs `fn` inside a collapsible group (a titled block on a terminal). */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

/** A logger that writes plain lines, for the CLI and scripts. */
export function consoleLogger(
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  verbose = false,
): Logger {
  return {
    info: (message) => write(message),
    warning: (message) => write(`warning: ${message}`),
    error: (message) => write(`error: ${message}`),
    debug: (message) => {
      if (verbose) write(`debug: ${message}`);
    },
    async group(title, fn) {
      write(`== ${title}`);
      return fn();
    },
  };
}

/** A logger that keeps every line, for tests that assert on logs (and scan them for secrets). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { ...consoleLogger((line) => lines.push(line), true), lines };
}
