// Ring events for an optional listener (GitHub Deployments). The one place a listener is called:
// whatever it does — throw, reject, hang — the rollout goes on unchanged, with one warning for the
// first failure of the run (a status page that lags must not fill the log or stop a rollout).
import type { Logger } from '../logger.js';
import type { RingEvent, RingProgress } from './engine-types.js';

/** A listener that has not answered after this long is left behind (its request may be stuck). */
const LISTENER_TIMEOUT_MS = 30_000;

type Kind = keyof RingProgress;

export interface RingEventSource {
  app: string;
  release: string;
  deploymentId: string;
  /** Every ring's name, in order. */
  ringNames: readonly string[];
}

export class RingEvents {
  private warned = false;
  /** Kind and ring of each event already sent in this run, so a ring is never reported failed twice. */
  private readonly sent = new Set<string>();

  constructor(
    private readonly listener: RingProgress | undefined,
    private readonly logger: Logger,
  ) {}

  started(source: RingEventSource, index: number): Promise<void> {
    return this.emit('ringStarted', source, index);
  }

  passed(source: RingEventSource, index: number): Promise<void> {
    return this.emit('ringPassed', source, index);
  }

  failed(source: RingEventSource, index: number, reason: string): Promise<void> {
    return this.emit('ringFailed', source, index, reason);
  }

  private async emit(kind: Kind, source: RingEventSource, index: number, reason?: string): Promise<void> {
    const listener = this.listener;
    if (!listener) return;
    const key = `${kind}:${source.deploymentId}:${index}`;
    if (this.sent.has(key)) return;
    this.sent.add(key);
    const event: RingEvent = {
      app: source.app,
      release: source.release,
      deploymentId: source.deploymentId,
      ring: index + 1,
      ringName: source.ringNames[index] ?? `ring ${index + 1}`,
      ringCount: source.ringNames.length,
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const call =
        kind === 'ringFailed'
          ? listener.ringFailed({ ...event, reason: reason ?? '' })
          : listener[kind](event);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${LISTENER_TIMEOUT_MS / 1000} s`)),
          LISTENER_TIMEOUT_MS,
        );
        timer.unref?.();
      });
      await Promise.race([call, timeout]);
    } catch (error) {
      const message = `Ring progress listener failed on ${kind} for ring ${event.ring} (${event.ringName}): ${describe(error)}`;
      if (this.warned) {
        this.logger.debug(message);
      } else {
        this.warned = true;
        this.logger.warning(`${message}. The rollout goes on; later listener failures are logged as debug.`);
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
