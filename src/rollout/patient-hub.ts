// Patience on top of the client's retries. SdkHubClient retries one call for about two minutes
// (retry.ts); a rollout runs for an hour and can afford to wait out a longer storm — another tool
// draining the hub's throttle, a regional hiccup — instead of stopping half-way. When a call's retries
// are exhausted, it is tried again after a pause, a few times, before the error is passed on.
//
// Safe for every call the engine makes: reads, queries and testQueries change nothing; a create that
// had gone through comes back as ConflictError, which the engine reads as its own release; an update
// that had gone through comes back as PreconditionError, which ReleaseHandle recognises as its own
// write; deleting twice is not an error.
import type { Logger } from '../logger.js';
import { sleepUnlessAborted } from './engine-errors.js';
import type { RolloutClock } from './engine-types.js';
import type {
  DeploymentUpdate,
  HubClient,
  HubDeployment,
  NewDeployment,
  TestQueriesResult,
} from './hub-client.js';
import { formatDuration } from './quantities.js';
import { RetriesExhaustedError } from './retry.js';

/** Pauses after the client gave up: 1, 2 and 4 minutes (plus the client's own two minutes each). */
export const PATIENCE_PAUSES_MS: readonly number[] = [60_000, 120_000, 240_000];

export class PatientHubClient implements HubClient {
  constructor(
    private readonly inner: HubClient,
    private readonly context: { clock: RolloutClock; logger: Logger; signal?: AbortSignal },
    private readonly pauses: readonly number[] = PATIENCE_PAUSES_MS,
  ) {}

  get hostName(): string {
    return this.inner.hostName;
  }

  get calls(): HubClient['calls'] {
    return this.inner.calls;
  }

  listDeployments(): Promise<HubDeployment[]> {
    return this.patiently(() => this.inner.listDeployments());
  }

  getDeployment(id: string): Promise<HubDeployment | undefined> {
    return this.patiently(() => this.inner.getDeployment(id));
  }

  createDeployment(deployment: NewDeployment): Promise<HubDeployment> {
    return this.patiently(() => this.inner.createDeployment(deployment));
  }

  updateDeployment(current: HubDeployment, update: DeploymentUpdate): Promise<HubDeployment> {
    return this.patiently(() => this.inner.updateDeployment(current, update));
  }

  deleteDeployment(id: string): Promise<void> {
    return this.patiently(() => this.inner.deleteDeployment(id));
  }

  query(sql: string): Promise<Record<string, unknown>[]> {
    return this.patiently(() => this.inner.query(sql));
  }

  testQueries(targetCondition: string, metricQueries?: Record<string, string>): Promise<TestQueriesResult> {
    return this.patiently(() => this.inner.testQueries(targetCondition, metricQueries));
  }

  private async patiently<T>(call: () => Promise<T>): Promise<T> {
    for (let round = 0; ; round++) {
      try {
        return await call();
      } catch (error) {
        const pause = this.pauses[round];
        if (!(error instanceof RetriesExhaustedError) || pause === undefined) throw error;
        this.context.logger.warning(
          `${error.message.split('. ')[0]}. Waiting ${formatDuration(pause)} before trying again (${round + 1} of ${this.pauses.length}).`,
        );
        await sleepUnlessAborted(this.context.clock, pause, this.context.signal);
      }
    }
  }
}
