// An in-memory HubClient for engine unit tests: deployments with etags, scripted query answers and
// scripted failures, and the calls made.
import {
  ConflictError,
  PreconditionError,
  type DeploymentUpdate,
  type HubClient,
  type HubDeployment,
  type NewDeployment,
  type TestQueriesResult,
} from '../../../../src/rollout/hub-client.js';

export class FakeHub implements HubClient {
  readonly hostName = 'fake.azure-devices.net';
  readonly calls = { reads: 0, writes: 0, queries: 0, retries: 0 };
  readonly deployments = new Map<string, HubDeployment>();
  /** Answers by query text; unknown queries answer `[{ count: 0 }]`. */
  readonly answers = new Map<string, Record<string, unknown>[]>();
  /** Errors thrown by the next calls of a method, in order. */
  readonly failures: Partial<Record<keyof HubClient, unknown[]>> = {};
  private etag = 0;

  add(
    deployment: Omit<HubDeployment, 'etag' | 'createdTimeUtc'> & { createdTimeUtc?: string },
  ): HubDeployment {
    const stored = { createdTimeUtc: '2026-01-01T00:00:00.000Z', ...deployment, etag: `e${++this.etag}` };
    this.deployments.set(stored.id, stored);
    return structuredClone(stored);
  }

  /** Changes a deployment behind the engine's back (another run, the hub). */
  change(id: string, change: Partial<HubDeployment>): void {
    const current = this.deployments.get(id)!;
    this.deployments.set(id, { ...current, ...change, etag: `e${++this.etag}` });
  }

  private fail(method: keyof HubClient): void {
    const next = this.failures[method]?.shift();
    if (next !== undefined) throw next;
  }

  async listDeployments(): Promise<HubDeployment[]> {
    this.calls.reads++;
    this.fail('listDeployments');
    return [...this.deployments.values()].map((d) => structuredClone(d));
  }

  async getDeployment(id: string): Promise<HubDeployment | undefined> {
    this.calls.reads++;
    this.fail('getDeployment');
    const found = this.deployments.get(id);
    return found && structuredClone(found);
  }

  async createDeployment(deployment: NewDeployment): Promise<HubDeployment> {
    this.calls.writes++;
    this.fail('createDeployment');
    if (this.deployments.has(deployment.id)) throw new ConflictError(`'${deployment.id}' exists`);
    return this.add({ ...deployment, metrics: { queries: deployment.metrics ?? {}, results: {} } });
  }

  async updateDeployment(current: HubDeployment, update: DeploymentUpdate): Promise<HubDeployment> {
    this.calls.writes++;
    this.fail('updateDeployment');
    const stored = this.deployments.get(current.id);
    if (!stored || stored.etag !== current.etag) throw new PreconditionError(`'${current.id}' changed`);
    const next = { ...stored, ...update, labels: update.labels ?? stored.labels, etag: `e${++this.etag}` };
    this.deployments.set(current.id, next);
    return structuredClone(next);
  }

  async deleteDeployment(id: string): Promise<void> {
    this.calls.writes++;
    this.fail('deleteDeployment');
    this.deployments.delete(id);
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    this.calls.queries++;
    this.fail('query');
    return structuredClone(this.answers.get(sql) ?? [{ count: 0 }]);
  }

  async testQueries(): Promise<TestQueriesResult> {
    this.calls.queries++;
    this.fail('testQueries');
    return { targetConditionError: '', customMetricQueryErrors: {} };
  }
}
