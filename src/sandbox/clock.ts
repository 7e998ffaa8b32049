// Time for the sandbox: either real time sped up by a scale (a 5-minute hub cycle in seconds for the
// demo and the integration tests) or a manual clock that unit tests move by hand.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch, in sandbox time. */
  now(): number;
  /** Calls `fn` once `ms` of sandbox time have passed. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Resolves once `ms` of sandbox time have passed. */
  sleep(ms: number): Promise<void>;
}

/** Real time sped up by `timeScale` (sandbox seconds per real second). */
export class ScaledClock implements Clock {
  private readonly realStart = Date.now();
  private readonly sandboxStart: number;

  constructor(
    readonly timeScale = 1,
    sandboxStart = Date.now(),
  ) {
    if (!(timeScale > 0)) throw new Error(`time scale must be a positive number, got ${timeScale}`);
    this.sandboxStart = sandboxStart;
  }

  now(): number {
    return this.sandboxStart + (Date.now() - this.realStart) * this.timeScale;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const handle = setTimeout(fn, Math.max(0, ms / this.timeScale));
    // Sandbox timers never keep a process alive on their own: the server or the test does.
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = setTimeout(resolve, Math.max(0, ms / this.timeScale));
      void handle;
    });
  }
}

interface PendingTimer {
  due: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told to: `advance(ms)` runs every timer that falls due, in order. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = { due: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** Moves time forward by `ms`, firing due timers (including ones they schedule) in time order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.timers
        .filter((t) => t.due <= target)
        .sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.due;
      next.fn();
      // Let promise continuations scheduled by the timer run before the next one fires.
      await Promise.resolve();
    }
    this.current = target;
  }
}
