// Fault injection for the sandbox hub: tests switch faults on and off at run time to prove that a
// client survives (or reports) what a real hub sometimes does: 5xx answers, dropped connections and
// slow answers. Which requests a probabilistic rule hits is decided by a seeded generator, so a run
// with the same seed and the same request order hits the same requests.

/** Which requests a rule applies to. Omitted fields match everything. */
export interface FaultMatch {
  /** HTTP method, case-insensitive. */
  method?: string;
  /**
   * The decoded request path without the query. A string is a glob: `*` matches within one path
   * segment, `**` matches across segments (`/configurations/*`, `/twins/**`). A RegExp is tested as is.
   */
  path?: string | RegExp;
}

export interface FaultFiring {
  /** Chance (0..1) that a matching request is hit. Default 1. */
  probability?: number;
  /** Hit only the next N matching requests (counting hits), then the rule expires. Default: unlimited. */
  times?: number;
}

/** What a hit request gets. */
export type FaultEffect =
  /** An answer with the hub's error body: 500 ServerError or 503 ServiceUnavailable. */
  | { fault: 'error'; status?: 500 | 503 }
  /** The connection is destroyed without an answer (the client sees ECONNRESET / socket hang up). */
  | { fault: 'reset' }
  /**
   * The request is answered normally but `ms` later. `clock: 'sandbox'` (default) waits sandbox time,
   * so it shrinks with the time scale like everything else in the hub; `'real'` waits wall-clock time.
   */
  | { fault: 'latency'; ms: number; clock?: 'sandbox' | 'real' };

export type FaultRule = FaultMatch & FaultFiring & FaultEffect;

export interface ActiveFault {
  id: number;
  rule: FaultRule;
  /** Requests this rule has hit so far. */
  hits: number;
}

/** What to do to one request: delays to add, then possibly an error or a reset instead of the answer. */
export interface FaultPlan {
  delays: { ms: number; clock: 'sandbox' | 'real' }[];
  outcome?: { fault: 'error'; status: 500 | 503; ruleId: number } | { fault: 'reset'; ruleId: number };
}

/** mulberry32: a tiny, well-distributed 32-bit PRNG; enough for picking which requests fail. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const pattern = escaped.replace(/\*\*|\*/g, (star) => (star === '**' ? '.*' : '[^/]*'));
  return new RegExp(`^${pattern}$`);
}

function validate(rule: FaultRule): void {
  const { probability, times } = rule;
  if (probability !== undefined && !(probability >= 0 && probability <= 1)) {
    throw new Error(`fault probability must be between 0 and 1, got ${probability}`);
  }
  if (times !== undefined && !(Number.isInteger(times) && times >= 1)) {
    throw new Error(`fault 'times' must be a whole number ≥ 1, got ${times}`);
  }
  if (rule.fault === 'latency' && !(rule.ms >= 0))
    throw new Error(`fault latency must be ≥ 0 ms, got ${rule.ms}`);
  if (rule.fault === 'error' && rule.status !== undefined && ![500, 503].includes(rule.status)) {
    throw new Error(`fault status must be 500 or 503, got ${String(rule.status)}`);
  }
}

interface StoredFault extends ActiveFault {
  pathPattern?: RegExp;
}

export class FaultInjector {
  private readonly random: () => number;
  private faults: StoredFault[] = [];
  private nextId = 1;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  /** Adds a rule; returns its id (for `remove`). Rules apply in the order they were added. */
  add(rule: FaultRule): number {
    validate(rule);
    const pathPattern = typeof rule.path === 'string' ? globToRegExp(rule.path) : rule.path;
    const id = this.nextId++;
    this.faults.push({ id, rule: { ...rule }, hits: 0, pathPattern });
    return id;
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** The rules still in force, with how often each has hit. */
  list(): ActiveFault[] {
    return this.faults.map(({ id, rule, hits }) => ({ id, rule: { ...rule }, hits }));
  }

  /**
   * Decides the faults for one request. Every matching latency rule adds its delay; the first matching
   * error or reset rule that fires replaces the answer. Rules that used up their `times` expire.
   */
  plan(method: string, path: string): FaultPlan {
    const plan: FaultPlan = { delays: [] };
    for (const fault of this.faults) {
      if (plan.outcome && fault.rule.fault !== 'latency') continue;
      if (!this.matches(fault, method, path) || !this.fires(fault)) continue;
      fault.hits++;
      const rule = fault.rule;
      if (rule.fault === 'latency') plan.delays.push({ ms: rule.ms, clock: rule.clock ?? 'sandbox' });
      else if (rule.fault === 'error')
        plan.outcome = { fault: 'error', status: rule.status ?? 500, ruleId: fault.id };
      else plan.outcome = { fault: 'reset', ruleId: fault.id };
    }
    this.faults = this.faults.filter((f) => f.rule.times === undefined || f.hits < f.rule.times);
    return plan;
  }

  private matches(fault: StoredFault, method: string, path: string): boolean {
    const wanted = fault.rule.method;
    if (wanted && wanted.toUpperCase() !== method.toUpperCase()) return false;
    return !fault.pathPattern || fault.pathPattern.test(path);
  }

  private fires(fault: StoredFault): boolean {
    const probability = fault.rule.probability ?? 1;
    // Only probabilistic rules draw, so adding a certain rule does not shift another rule's sequence.
    return probability >= 1 || this.random() < probability;
  }
}
