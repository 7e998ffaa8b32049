// Fault injection for the sandbox Azure ML endpoint. The hub's FaultInjector does the matching and
// firing (paths, methods, probability, times); on top, ARM's throttling answer (429 with a
// Retry-After) and a barrier that holds requests until several have arrived — how tests make two
// registrations read the same `nextVersion` and race for it.
import { FaultInjector, type FaultFiring, type FaultMatch, type FaultRule } from '../faults.js';

export type AmlFaultRule =
  | FaultRule
  /** 429 TooManyRequests with `Retry-After: retryAfterSeconds` (default 1). */
  | (FaultMatch & FaultFiring & { fault: 'throttle'; retryAfterSeconds?: number });

export interface BarrierRule extends FaultMatch {
  /** Matching requests are held until this many have arrived; then all go on, and the barrier is spent. */
  parties: number;
}

export type AmlFaultOutcome =
  | { fault: 'error'; status: 500 | 503 }
  | { fault: 'reset' }
  | { fault: 'throttle'; retryAfterSeconds: number };

export interface AmlFaultPlan {
  delays: { ms: number; clock: 'sandbox' | 'real' }[];
  outcome?: AmlFaultOutcome;
}

interface Barrier {
  matches: (method: string, path: string) => boolean;
  parties: number;
  waiting: (() => void)[];
}

export class AmlFaults {
  private readonly injector: FaultInjector;
  /** A second injector for throttle rules: the same matching, answered as 429 instead of 5xx. */
  private readonly throttles: FaultInjector;
  private readonly retryAfter = new Map<number, number>();
  private barriers: Barrier[] = [];

  constructor(seed = 1) {
    this.injector = new FaultInjector(seed);
    this.throttles = new FaultInjector(seed + 1);
  }

  /** Adds a rule; returns a handle for `remove`. */
  add(rule: AmlFaultRule): string {
    if (rule.fault !== 'throttle') return `f${this.injector.add(rule)}`;
    const { retryAfterSeconds = 1, ...rest } = rule;
    if (!(retryAfterSeconds >= 0)) throw new Error(`retryAfterSeconds must be ≥ 0, got ${retryAfterSeconds}`);
    const id = this.throttles.add({ ...rest, fault: 'error' });
    this.retryAfter.set(id, retryAfterSeconds);
    return `t${id}`;
  }

  remove(handle: string): boolean {
    const id = Number(handle.slice(1));
    return handle.startsWith('t') ? this.throttles.remove(id) : this.injector.remove(id);
  }

  clear(): void {
    this.injector.clear();
    this.throttles.clear();
    this.retryAfter.clear();
    for (const barrier of this.barriers) barrier.waiting.forEach((release) => release());
    this.barriers = [];
  }

  /** Holds matching requests until `parties` of them are waiting. */
  barrier(rule: BarrierRule): void {
    if (!(Number.isInteger(rule.parties) && rule.parties >= 2))
      throw new Error('a barrier needs 2 or more parties');
    // A one-off injector gives the barrier the same path and method matching as the fault rules.
    const matcher = new FaultInjector();
    const match = { method: rule.method, path: rule.path };
    matcher.add({ ...match, fault: 'error' });
    this.barriers.push({
      matches: (method, path) => matcher.plan(method, path).outcome !== undefined,
      parties: rule.parties,
      waiting: [],
    });
  }

  /** Resolves once the request may go on (at once, unless a barrier holds it). */
  async pass(method: string, path: string): Promise<void> {
    const barrier = this.barriers.find((b) => b.matches(method, path));
    if (!barrier) return;
    await new Promise<void>((release) => {
      barrier.waiting.push(release);
      if (barrier.waiting.length >= barrier.parties) {
        this.barriers = this.barriers.filter((b) => b !== barrier);
        barrier.waiting.forEach((go) => go());
      }
    });
  }

  plan(method: string, path: string): AmlFaultPlan {
    // A throttled request never reaches the service, so no other rule counts it.
    const throttle = this.throttles.plan(method, path).outcome;
    if (throttle?.fault === 'error')
      return {
        delays: [],
        outcome: { fault: 'throttle', retryAfterSeconds: this.retryAfter.get(throttle.ruleId) ?? 1 },
      };
    const plan = this.injector.plan(method, path);
    const outcome = plan.outcome;
    if (outcome?.fault === 'error')
      return { delays: plan.delays, outcome: { fault: 'error', status: outcome.status } };
    if (outcome?.fault === 'reset') return { delays: plan.delays, outcome: { fault: 'reset' } };
    return { delays: plan.delays };
  }
}
