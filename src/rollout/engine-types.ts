// The rollout engine's seams: what it is asked to do (options), what it works with (deps: a hub, a
// clock, a logger — never the environment or @actions/*) and what it reports back (the result that
// the stage turns into outputs and a job summary, and the demo prints as text).
import type { Logger } from '../logger.js';
import type { HubClient, NewDeployment } from './hub-client.js';
import type { Plan } from './plan.js';
import type { RingsConfig } from './rings.js';
import type { RolloutStatus } from './state-labels.js';

export const ROLLOUT_COMMANDS = ['auto', 'plan', 'start', 'promote', 'rollback', 'status'] as const;
export type RolloutCommand = (typeof ROLLOUT_COMMANDS)[number];

/** Sandbox time in tests (the hub's own clock), Date.now/setTimeout in the action. */
export interface RolloutClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface RolloutDeps {
  hub: HubClient;
  clock: RolloutClock;
  logger: Logger;
  /** Told when a ring starts, passes, fails or is rolled back (GitHub Deployments listen here). */
  progress?: RingProgress;
}

/**
 * Ring events of a rollout, in order. Listeners must not throw into the engine (the caller wraps
 * them fail-safe): a lost status update never stops a rollout.
 */
export interface RingProgress {
  /** The release's target now includes ring `ring` (1-based); devices there are being updated. */
  ringStarted(event: RingEvent): Promise<void>;
  /** The ring's gate passed. */
  ringPassed(event: RingEvent): Promise<void>;
  /** The ring's gate failed, or the release was rolled back while the ring was targeted. */
  ringFailed(event: RingEvent & { reason: string }): Promise<void>;
}

export interface RingEvent {
  app: string;
  release: string;
  deploymentId: string;
  ring: number;
  ringName: string;
  ringCount: number;
}

/** Where a release comes from, recorded in its labels and shown in status and summaries. */
export interface Lineage {
  commit?: string;
  modelName?: string;
  modelVersion?: string;
  runUrl?: string;
}

export interface RolloutOptions {
  /** The app name as given; the engine uses its slug (release-id.ts appSlug). */
  app: string;
  /** Release version; required by plan, start and auto. Promote, rollback and status default to the app's active release. */
  release?: string;
  rings: RingsConfig;
  /** The release's deployment content (start and auto); never changed once created. */
  content?: NewDeployment['content'];
  /** The model module whose health the gates watch. */
  moduleName: string;
  /** Platforms of the image; the devices' reported architectures are checked against them. */
  imagePlatforms?: readonly string[];
  /** Allows a release with no earlier deployment to fall back to. */
  firstRelease?: boolean;
  /** Start or promote although another run holds the app's rollout. */
  force?: boolean;
  keepReleases?: number;
  hubUnits?: number;
  /** Share of the hub's query budget this rollout may use (default 0.5). */
  budgetShare?: number;
  lineage?: Lineage;
  /** Lock owner: the workflow run id, so a re-run of the same run continues its own rollout. */
  runId: string;
  /** Stops the engine between hub calls, as a killed job would (tests); the rollout stays resumable. */
  signal?: AbortSignal;
  /** The hub's deployment quota (100 on basic and standard hubs). */
  maxDeployments?: number;
}

export type RingVerdict = 'pass' | 'fail' | 'waiting' | 'passed-earlier' | 'not-reached';

/** One ring as this run saw it; the counts are of the release's cumulative target (rings 1..k). */
export interface RingReport {
  index: number;
  name: string;
  condition: string;
  targeted?: number;
  applied?: number;
  succeeded?: number;
  failed?: number;
  unhealthy?: number;
  offline?: number;
  overridden?: number;
  durationMs?: number;
  verdict: RingVerdict;
  reasons: string[];
}

export interface RollbackReport {
  /** Why the release was withdrawn. */
  reason: string;
  /** The deployment the devices went back to; undefined when there was none. */
  fallbackId?: string;
  /** Devices the release targeted when it was withdrawn. */
  devicesLeft: number;
  /** Of those, devices no earlier deployment targets: they keep the release's modules. */
  withoutFallback: number;
  /** Devices the fallback is applied to and that report success for it, at the end. */
  onFallback?: number;
  verified: boolean;
  durationMs: number;
  details: string[];
}

/** One release of the app, for status: its lineage from the labels and its counts. */
export interface ReleaseLine {
  deploymentId: string;
  release: string;
  priority: number;
  state: RolloutStatus;
  ringName: string;
  ringNumber: number;
  ringCount: number;
  commit?: string;
  modelName?: string;
  modelVersion?: string;
  runUrl?: string;
  startedAt: number;
  updatedAt: number;
  /** `live` from direct queries now; `cached` from the hub's 5-minute metric results. */
  counts?: {
    source: 'live' | 'cached';
    targeted: number;
    applied: number;
    succeeded: number;
    failed: number;
  };
}

export type RolloutOutcome = RolloutStatus | 'planned' | 'none';

export interface RolloutResult {
  command: RolloutCommand;
  app: string;
  release?: string;
  deploymentId?: string;
  priority?: number;
  hostName: string;
  state: RolloutOutcome;
  /** 0-based index of the last ring the release reached. */
  ringIndex?: number;
  ringName?: string;
  rings: RingReport[];
  lineage: Lineage;
  rollback?: RollbackReport;
  plan?: Plan;
  releases?: ReleaseLine[];
  retention?: { deleted: string[]; message: string };
  /** Sentences worth reading in the summary (warnings, what a re-run will do). */
  notes: string[];
  /** Set when the step must fail (a rollback, a refusal after the report was built). */
  failure?: string;
  calls: { reads: number; writes: number; queries: number; retries: number };
  startedAt: number;
  endedAt: number;
}
