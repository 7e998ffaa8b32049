// One engine run: its options and collaborators, the app and release it works on, and the result it
// builds up as it goes (every command returns one, whatever happened).
import type { Logger } from '../logger.js';
import type { ClaimContext } from './engine-claim.js';
import { RolloutRefusedError } from './engine-errors.js';
import { RingEvents } from './engine-progress.js';
import type { ReleaseHandle } from './engine-release.js';
import type {
  RingReport,
  RolloutClock,
  RolloutCommand,
  RolloutDeps,
  RolloutOptions,
  RolloutResult,
} from './engine-types.js';
import type { HubClient } from './hub-client.js';
import type { QueryBudget } from './query-budget.js';
import { appSlug, deploymentId } from './release-id.js';
import type { Ring } from './rings.js';
import type { RolloutState } from './state-labels.js';
import { cumulativeCondition } from './target-condition.js';

export class RolloutRun {
  readonly app: string;
  readonly result: RolloutResult;
  private readonly events: RingEvents;
  private readonly callsBefore: RolloutResult['calls'];

  constructor(
    readonly command: RolloutCommand,
    readonly options: RolloutOptions,
    readonly deps: RolloutDeps,
  ) {
    this.app = appSlug(options.app);
    this.events = new RingEvents(deps.progress, deps.logger);
    const now = deps.clock.now();
    this.callsBefore = { ...deps.hub.calls };
    this.result = {
      command,
      app: this.app,
      ...(options.release ? { release: options.release } : {}),
      hostName: deps.hub.hostName,
      state: 'none',
      rings: this.rings.map((ring, index) => ({
        index,
        name: ring.name,
        condition: this.condition(index),
        verdict: 'not-reached',
        reasons: [],
      })),
      lineage: { ...options.lineage },
      notes: [],
      calls: { reads: 0, writes: 0, queries: 0, retries: 0 },
      startedAt: now,
      endedAt: now,
    };
  }

  get hub(): HubClient {
    return this.deps.hub;
  }

  get clock(): RolloutClock {
    return this.deps.clock;
  }

  get logger(): Logger {
    return this.deps.logger;
  }

  get rings(): Ring[] {
    return this.options.rings.rings;
  }

  now(): number {
    return this.deps.clock.now();
  }

  /** The release's target condition while rings 1..index+1 are in. */
  condition(index: number): string {
    return cumulativeCondition(this.rings, index + 1, this.options.rings.appScope);
  }

  budget(): QueryBudget {
    return {
      units: this.options.hubUnits ?? 1,
      ...(this.options.budgetShare ? { share: this.options.budgetShare } : {}),
    };
  }

  claimContext(): ClaimContext {
    return { hub: this.hub, logger: this.logger, app: this.app, now: () => this.now() };
  }

  /** The release to create or resume: required for plan, start and auto. */
  requireRelease(): { release: string; deploymentId: string } {
    const release = this.options.release?.trim();
    if (!release) {
      throw new RolloutRefusedError(
        `No release version for the ${this.command} command: set the release input (e.g. 1.4.0), or run on a release tag (refs/tags/v1.4.0) so it is derived from the ref.`,
      );
    }
    return { release, deploymentId: deploymentId(this.app, release) };
  }

  /** The labels of a release that starts now at ring 1. */
  initialState(release: string): RolloutState {
    const now = this.now();
    const { lineage = {} } = this.options;
    return {
      app: this.app,
      release,
      ringIndex: 0,
      ringName: this.rings[0]!.name,
      ringCount: this.rings.length,
      state: 'in-progress',
      ...lineage,
      startedAt: now,
      ringStartedAt: now,
      updatedAt: now,
      lockOwner: this.options.runId,
    };
  }

  recordRing(report: RingReport): void {
    this.result.rings[report.index] = report;
  }

  /** Rings the release had passed before this run picked it up. */
  markPassedEarlier(state: RolloutState): void {
    const passed =
      state.state === 'held' || state.state === 'completed' ? state.ringIndex + 1 : state.ringIndex;
    for (let index = 0; index < Math.min(passed, this.result.rings.length); index++) {
      const ring = this.result.rings[index]!;
      if (ring.verdict === 'not-reached') ring.verdict = 'passed-earlier';
    }
  }

  /** Copies the release's identity and current state into the result. */
  track(handle: ReleaseHandle): void {
    const { state, deployment } = handle;
    Object.assign(this.result, {
      release: state.release,
      deploymentId: deployment.id,
      priority: deployment.priority,
      state: state.state,
      ringIndex: state.ringIndex,
      ringName: state.ringName,
    });
    const lineage = this.result.lineage;
    for (const field of ['commit', 'modelName', 'modelVersion', 'runUrl'] as const) {
      if (state[field] !== undefined) lineage[field] = state[field];
    }
  }

  /** The release's target now includes ring `index` (0-based). */
  ringStarted(handle: ReleaseHandle, index: number): Promise<void> {
    return this.events.started(this.eventSource(handle), index);
  }

  ringPassed(handle: ReleaseHandle, index: number): Promise<void> {
    return this.events.passed(this.eventSource(handle), index);
  }

  /** Ring `index` failed its gate, or lost the release to a rollback; sent once per ring. */
  ringFailed(handle: ReleaseHandle, index: number, reason: string): Promise<void> {
    return this.events.failed(this.eventSource(handle), index, reason);
  }

  private eventSource(handle: ReleaseHandle) {
    return {
      app: this.app,
      release: handle.state.release,
      deploymentId: handle.id,
      ringNames: this.rings.map((ring) => ring.name),
    };
  }

  note(message: string): void {
    this.result.notes.push(message);
  }

  finish(): RolloutResult {
    const calls = this.deps.hub.calls;
    this.result.calls = {
      reads: calls.reads - this.callsBefore.reads,
      writes: calls.writes - this.callsBefore.writes,
      queries: calls.queries - this.callsBefore.queries,
      retries: calls.retries - this.callsBefore.retries,
    };
    this.result.endedAt = this.now();
    return this.result;
  }
}
