// The HubClient on the real `azure-iothub` Registry: deployments (configurations), queries over every
// page, and testQueries, each call retried on throttling, server failures and dropped connections.
// Everything this client throws or logs is built from redacted texts only (SDK errors reference the
// request and its Authorization header, so they are never passed on).
import type { TokenCredential } from '@azure/identity';
import iothub, { type Configuration } from 'azure-iothub';
import type { Logger } from '../logger.js';
import {
  bearerAuthorization,
  normaliseHubHostName,
  sasAuthorization,
  type HubAuthorization,
} from './hub-authorization.js';
import {
  ConflictError,
  PreconditionError,
  type DeploymentUpdate,
  type HubClient,
  type HubDeployment,
  type NewDeployment,
  type TestQueriesResult,
} from './hub-client.js';
import { HubRequestError, readHubFailure, type HubFailure } from './hub-failure.js';
import { redactSecrets } from '../azure/redact-secrets.js';
import {
  RetriesExhaustedError,
  retryPolicy,
  withRetries,
  type AttemptContext,
  type RetryPolicy,
} from './retry.js';
import {
  DEPLOYMENT_SCHEMA_VERSION,
  isCreatedAs,
  isUpdatedAs,
  newConfiguration,
  toHubDeployment,
  updatedConfiguration,
} from './sdk-configuration.js';
import { postTestQueries } from './test-queries.js';

const { Registry } = iothub;
type SdkRegistry = InstanceType<typeof Registry>;

/** Rows per query page. Pages, not rows, count against the query throttle, so pages are large. */
export const DEFAULT_QUERY_PAGE_SIZE = 1000;
/** The most rows IoT Hub returns in one page (x-ms-max-item-count). */
export const MAX_QUERY_PAGE_SIZE = 10_000;

export interface SdkHubClientOptions {
  /** Waits between retries; pass the sandbox clock's sleep to wait in sandbox time. */
  sleep(ms: number): Promise<void>;
  now(): number;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  /** Rows per query page (default 1000, at most 10000). */
  pageSize?: number;
  /** The configuration schemaVersion written on create (default DEPLOYMENT_SCHEMA_VERSION). */
  schemaVersion?: string;
}

type CallKind = 'reads' | 'writes' | 'queries';

/** The body of a Registry call's `{ responseBody }` result, as a configuration. */
function configurationOf(result: { responseBody: unknown }): Configuration {
  return result.responseBody as Configuration;
}

function checkPageSize(pageSize: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_QUERY_PAGE_SIZE) {
    throw new RangeError(
      `query pageSize must be a whole number from 1 to ${MAX_QUERY_PAGE_SIZE}, got ${pageSize}`,
    );
  }
  return pageSize;
}

function shortSql(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim();
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine;
}

export class SdkHubClient implements HubClient {
  readonly calls = { reads: 0, writes: 0, queries: 0, retries: 0 };
  /** Numbers calls, so concurrent calls of one operation get different (still reproducible) jitter. */
  private callSequence = 0;
  private readonly policy: RetryPolicy;
  private readonly pageSize: number;
  private readonly schemaVersion: string;

  private constructor(
    private readonly registry: SdkRegistry,
    private readonly auth: HubAuthorization,
    private readonly options: SdkHubClientOptions,
  ) {
    this.policy = retryPolicy(options.retry);
    this.pageSize = checkPageSize(options.pageSize ?? DEFAULT_QUERY_PAGE_SIZE);
    this.schemaVersion = options.schemaVersion ?? DEPLOYMENT_SCHEMA_VERSION;
  }

  /** A client that signs with a shared access policy (`HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`). */
  static fromConnectionString(connectionString: string, options: SdkHubClientOptions): SdkHubClient {
    const auth = sasAuthorization(connectionString);
    return new SdkHubClient(Registry.fromConnectionString(connectionString.trim()), auth, options);
  }

  /** A client that signs in with Entra ID (scope https://iothubs.azure.net/.default). */
  static fromTokenCredential(
    hostName: string,
    credential: TokenCredential,
    options: SdkHubClientOptions,
  ): SdkHubClient {
    const host = normaliseHubHostName(hostName);
    const registry = Registry.fromTokenCredential(host, credential);
    return new SdkHubClient(registry, bearerAuthorization(host, credential), options);
  }

  get hostName(): string {
    return this.auth.hostName;
  }

  async listDeployments(): Promise<HubDeployment[]> {
    const result = await this.call('reads', 'list deployments', () => this.registry.getConfigurations());
    return (result.responseBody as Configuration[]).map(toHubDeployment);
  }

  async getDeployment(id: string): Promise<HubDeployment | undefined> {
    try {
      const result = await this.call('reads', `read deployment '${id}'`, () =>
        this.registry.getConfiguration(id),
      );
      return toHubDeployment(configurationOf(result));
    } catch (error) {
      if (error instanceof HubRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  async createDeployment(deployment: NewDeployment): Promise<HubDeployment> {
    const operation = `create deployment '${deployment.id}'`;
    const body = newConfiguration(deployment, this.schemaVersion);
    try {
      const created = await this.call('writes', operation, (attempt) =>
        this.unlessEarlierAttemptApplied(attempt, 409, () => this.registry.addConfiguration(body)),
      );
      if (created) return toHubDeployment(configurationOf(created));
    } catch (error) {
      if (error instanceof HubRequestError && error.status === 409) {
        throw new ConflictError(
          `deployment '${deployment.id}' already exists on ${this.hostName}: a deployment's content cannot ` +
            'change, so a new release needs a new id (or resume the rollout of the existing one)',
        );
      }
      throw error;
    }
    // A retry met 409 after an attempt that may have gone through: it is ours if it is what we sent.
    const existing = await this.getDeployment(deployment.id);
    if (existing && isCreatedAs(existing, deployment)) {
      this.options.logger?.debug(`an earlier attempt had created deployment '${deployment.id}' already`);
      return existing;
    }
    throw new ConflictError(
      `deployment '${deployment.id}' already exists on ${this.hostName} with other settings`,
    );
  }

  async updateDeployment(current: HubDeployment, update: DeploymentUpdate): Promise<HubDeployment> {
    const operation = `update deployment '${current.id}'`;
    const body = updatedConfiguration(current, update);
    const stale = () =>
      new PreconditionError(
        `deployment '${current.id}' changed on ${this.hostName} since it was read (etag ${current.etag}): ` +
          'someone else updated it; read it again and decide anew',
      );
    try {
      const updated = await this.call('writes', operation, (attempt) =>
        this.unlessEarlierAttemptApplied(attempt, 412, () => this.registry.updateConfiguration(body)),
      );
      if (updated) return toHubDeployment(configurationOf(updated));
    } catch (error) {
      if (error instanceof HubRequestError && error.status === 412) throw stale();
      throw error;
    }
    // A retry met 412 after an attempt that may have gone through: fine if the hub shows our change.
    const now = await this.getDeployment(current.id);
    if (now && isUpdatedAs(now, current, update)) {
      this.options.logger?.debug(`an earlier attempt had updated deployment '${current.id}' already`);
      return now;
    }
    throw stale();
  }

  /** Deleting a deployment that is not there is not an error: afterwards it is gone either way. */
  async deleteDeployment(id: string): Promise<void> {
    try {
      await this.call('writes', `delete deployment '${id}'`, () => this.registry.removeConfiguration(id));
    } catch (error) {
      if (error instanceof HubRequestError && error.status === 404) return;
      throw error;
    }
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    const query = this.registry.createQuery(sql, this.pageSize);
    const rows: Record<string, unknown>[] = [];
    const seenTokens = new Set<string>();
    for (let page = 1; ; page++) {
      // Only set after a page succeeds, so a retried page asks for the same page again.
      const token = query.continuationToken ?? undefined;
      // PITFALL: the SDK's promise-form next() without an argument starts again at page 1.
      const answer = await this.call('queries', `run query page ${page} (${shortSql(sql)})`, () =>
        token === undefined ? query.next() : query.next(token),
      );
      rows.push(...((answer.result ?? []) as Record<string, unknown>[]));
      const next = query.continuationToken ?? undefined;
      if (!query.hasMoreResults || next === undefined) return rows;
      if (!next || seenTokens.has(next)) {
        throw new Error(`IoT Hub returned an empty or repeated continuation token on query page ${page}`);
      }
      seenTokens.add(next);
    }
  }

  async testQueries(
    targetCondition: string,
    metricQueries: Record<string, string> = {},
  ): Promise<TestQueriesResult> {
    return this.call('queries', 'test a target condition and metric queries', () =>
      postTestQueries(this.auth, targetCondition, metricQueries),
    );
  }

  /**
   * Runs `send`; when it fails with `status` after an earlier attempt that may have gone through,
   * resolves undefined instead, so the caller can check whether the hub already holds the change.
   */
  private async unlessEarlierAttemptApplied<T>(
    attempt: AttemptContext,
    status: number,
    send: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await send();
    } catch (error) {
      if (attempt.earlierMayHaveApplied && this.readFailure(error).status === status) return undefined;
      throw error;
    }
  }

  private readFailure(error: unknown): HubFailure {
    return readHubFailure(error, (text) => redactSecrets(text, this.auth.secrets()));
  }

  /** One request (one query page), counted once under `kind`, retried as retry.ts decides. */
  private async call<T>(
    kind: CallKind,
    operation: string,
    send: (attempt: AttemptContext) => Promise<T>,
  ): Promise<T> {
    this.calls[kind]++;
    try {
      return await withRetries(operation, send, {
        policy: this.policy,
        sleep: (ms) => this.options.sleep(ms),
        now: () => this.options.now(),
        logger: this.options.logger,
        readFailure: (error) => this.readFailure(error),
        onRetry: () => this.calls.retries++,
        jitterSeed: `${operation}#${++this.callSequence}`,
      });
    } catch (error) {
      if (error instanceof RetriesExhaustedError) throw error;
      throw new HubRequestError(operation, this.readFailure(error));
    }
  }
}
