// The narrow view of IoT Hub the rollout needs. The engine and its tests depend on this interface
// only; `src/rollout/sdk-hub-client.ts` implements it on the real azure-iothub SDK with retries.

/** A deployment (automatic configuration) as the hub stores it. */
export interface HubDeployment {
  id: string;
  schemaVersion?: string;
  labels: Record<string, string>;
  content?: { modulesContent?: Record<string, unknown> };
  targetCondition: string;
  priority: number;
  createdTimeUtc: string;
  lastUpdatedTimeUtc?: string;
  etag: string;
  systemMetrics?: { queries: Record<string, string>; results: Record<string, number> };
  metrics?: { queries: Record<string, string>; results: Record<string, number> };
}

export interface NewDeployment {
  id: string;
  labels: Record<string, string>;
  content: { modulesContent: Record<string, unknown> };
  targetCondition: string;
  priority: number;
  /** Custom metric queries, e.g. module health, that the hub also counts every cycle. */
  metrics?: Record<string, string>;
}

/** What may change on an existing deployment: never its content (the hub refuses that). */
export interface DeploymentUpdate {
  targetCondition?: string;
  priority?: number;
  labels?: Record<string, string>;
}

export interface TestQueriesResult {
  /** Empty when the condition is valid. */
  targetConditionError: string;
  customMetricQueryErrors: Record<string, string>;
}

export interface HubClient {
  /** The hub's host name, for logs and links. */
  readonly hostName: string;
  listDeployments(): Promise<HubDeployment[]>;
  /** undefined when there is no such deployment. */
  getDeployment(id: string): Promise<HubDeployment | undefined>;
  /** Fails with a ConflictError when the id exists already. */
  createDeployment(deployment: NewDeployment): Promise<HubDeployment>;
  /** Etag-checked: fails with a PreconditionError when `etag` is stale. Content is never sent changed. */
  updateDeployment(current: HubDeployment, update: DeploymentUpdate): Promise<HubDeployment>;
  deleteDeployment(id: string): Promise<void>;
  /** Runs a query and returns every row of every page. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Checks a target condition and metric queries on the hub without creating anything. */
  testQueries(targetCondition: string, metricQueries?: Record<string, string>): Promise<TestQueriesResult>;
  /** Calls made so far, by kind, for logs and benchmarks. */
  readonly calls: { reads: number; writes: number; queries: number; retries: number };
}

/** The hub refused a create because the id exists (409). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** The hub refused an update because the etag was stale (412): someone else changed it first. */
export class PreconditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreconditionError';
  }
}
