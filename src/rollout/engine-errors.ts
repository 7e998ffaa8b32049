// Why the engine stops without finishing a command. Each message says what was found and how to
// proceed; none carries a credential (hub errors are redacted by the client before they get here).

/** Found before any write: the inputs or the hub's state do not allow the command. Nothing was changed. */
export class RolloutRefusedError extends Error {
  constructor(
    summary: string,
    readonly reasons: readonly string[] = [],
  ) {
    super(
      reasons.length === 0 ? summary : `${summary}\n${reasons.map((reason) => `- ${reason}`).join('\n')}`,
    );
    this.name = 'RolloutRefusedError';
  }
}

/** Another run changed the release while this one was driving it: this run stops and leaves it alone. */
export class RolloutInterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RolloutInterruptedError';
  }
}

/** The caller's AbortSignal fired: the engine stopped between hub calls; a re-run continues. */
export class RolloutAbortedError extends Error {
  constructor(deploymentId: string | undefined) {
    super(
      `The rollout${deploymentId ? ` of ${deploymentId}` : ''} was stopped; its state is in the hub, so running the same command again continues where it stopped.`,
    );
    this.name = 'RolloutAbortedError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, deploymentId?: string): void {
  if (signal?.aborted) throw new RolloutAbortedError(deploymentId);
}

/** Sleeps on the rollout's clock, waking early (with RolloutAbortedError) when `signal` fires. */
export async function sleepUnlessAborted(
  clock: { sleep(ms: number): Promise<void> },
  ms: number,
  signal: AbortSignal | undefined,
  deploymentId?: string,
): Promise<void> {
  throwIfAborted(signal, deploymentId);
  if (!signal) return clock.sleep(ms);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new RolloutAbortedError(deploymentId));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([clock.sleep(ms), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}
