// Automatic configurations (IoT Edge deployments) as the service stores them: create, update, read,
// list, delete and testQueries with the service's rules and error codes (reference §1.1–1.9).
// The stored objects are internal; HubModel hands out copies.
import type { Clock } from './clock.js';
import { isEdgeKind, parseContent, type ContentKind } from './deployment-content.js';
import { checkIfMatch, type EtagSource } from './etags.js';
import { HubError, type Configuration, type JsonObject, type TestQueriesResult } from './hub-types.js';
import type { HubQueries } from './hub-queries.js';
import { isoTime } from './iso-time.js';
import { deepEqual, deepFreeze, cloneJson, isJsonObject } from './json-values.js';
import { checkConfigurationId, checkLabels, checkMetricName } from './naming-rules.js';

/** "100 deployments (including layered deployments) per basic or standard SKU hub" (reference §1.11). */
export const MAX_CONFIGURATIONS = 100;

/** A module configuration's target condition must begin with this (reference §1.5). */
const MODULE_TARGET_PREFIX = /^\s*from\s+devices\.modules\s+where\s+/i;

export interface StoredConfiguration {
  /** Creation order: a larger serial is a more recently created configuration (priority ties). */
  readonly serial: number;
  readonly kind: ContentKind;
  readonly configuration: Configuration;
}

export function isEdgeDeployment(stored: StoredConfiguration): boolean {
  return isEdgeKind(stored.kind);
}

/** The system metrics the service defines for an IoT Edge deployment, exactly as reference §1.9 gives them. */
export function edgeSystemMetricQueries(id: string, targetCondition: string): Record<string, string> {
  const applied = `select deviceId from devices.modules where moduleId = '$edgeAgent' and configurations.[[${id}]].status = 'Applied'`;
  const reported = `${applied} and properties.desired.$version = properties.reported.lastDesiredVersion`;
  // An empty target condition targets no device, so its count query must never match (deviceIds are never empty).
  const target = targetCondition.trim() === '' ? `deviceId = ''` : `(${targetCondition})`;
  return {
    targetedCount: `select deviceId from devices where capabilities.iotEdge = true and ${target}`,
    appliedCount: applied,
    reportedSuccessfulCount: `${reported} and properties.reported.lastDesiredStatus.code = 200`,
    reportedFailedCount: `${reported} and properties.reported.lastDesiredStatus.code != 200`,
  };
}

/** The generated system-metric queries over module twins only ever match `$edgeAgent` twins. */
export const EDGE_AGENT_ONLY_METRICS: readonly string[] = [
  'appliedCount',
  'reportedSuccessfulCount',
  'reportedFailedCount',
];

interface MutableFields {
  targetCondition: string;
  priority: number;
  labels: Record<string, string>;
  metricQueries: Record<string, string>;
}

function invalid(message: string): HubError {
  return new HubError(400, 'ArgumentInvalid', message);
}

function notFound(id: string): HubError {
  return new HubError(404, 'ConfigurationNotFound', `Configuration '${id}' does not exist in this hub`);
}

function zeroResults(queries: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.keys(queries).map((name) => [name, 0]));
}

export class ConfigurationStore {
  private readonly byId = new Map<string, StoredConfiguration>();
  private serial = 0;

  constructor(
    private readonly clock: Clock,
    private readonly etags: EtagSource,
    private readonly queries: HubQueries,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  all(): IterableIterator<StoredConfiguration> {
    return this.byId.values();
  }

  get(id: string): StoredConfiguration {
    const stored = this.byId.get(id);
    if (!stored) throw notFound(id);
    return stored;
  }

  /** `GET /configurations?top=`: no paging; a top above the quota is capped to it, as the service does. */
  list(top?: number): StoredConfiguration[] {
    if (top !== undefined && (!Number.isInteger(top) || top < 1)) {
      throw invalid(`top must be a whole number of at least 1, got ${top}`);
    }
    return [...this.byId.values()].slice(0, Math.min(top ?? MAX_CONFIGURATIONS, MAX_CONFIGURATIONS));
  }

  create(id: string, body: JsonObject): StoredConfiguration {
    checkConfigurationId(id);
    checkBodyId(id, body);
    if (this.byId.has(id)) {
      throw new HubError(
        409,
        'ConfigurationAlreadyExists',
        `Configuration '${id}' already exists; its content cannot be replaced, create a new id instead`,
      );
    }
    const { content, kind } = parseContent(cloneJson(body.content));
    const fields = this.readMutableFields(body, kind);
    if (body.schemaVersion != null && typeof body.schemaVersion !== 'string') {
      throw invalid('schemaVersion must be a string');
    }
    if (this.byId.size >= MAX_CONFIGURATIONS) {
      throw new HubError(
        403,
        'ConfigurationCountLimitExceeded',
        `The hub already has ${MAX_CONFIGURATIONS} configurations, its limit; delete one before creating '${id}'`,
      );
    }
    const now = isoTime(this.clock.now());
    const systemQueries = isEdgeKind(kind) ? edgeSystemMetricQueries(id, fields.targetCondition) : {};
    const configuration: Configuration = {
      id,
      // The SDK sends '1.0' when the caller leaves it out; keep whatever arrived.
      schemaVersion: (body.schemaVersion as string | null | undefined) ?? '1.0',
      labels: fields.labels,
      content: deepFreeze(content),
      targetCondition: fields.targetCondition,
      createdTimeUtc: now,
      lastUpdatedTimeUtc: now,
      priority: fields.priority,
      systemMetrics: { queries: systemQueries, results: zeroResults(systemQueries) },
      metrics: { queries: fields.metricQueries, results: zeroResults(fields.metricQueries) },
      etag: this.etags.next(),
    };
    const stored: StoredConfiguration = { serial: ++this.serial, kind, configuration };
    this.byId.set(id, stored);
    return stored;
  }

  /** PUT with If-Match: only targetCondition, priority, labels and metrics may change (reference §1.3). */
  update(id: string, body: JsonObject, ifMatch: string): StoredConfiguration {
    const stored = this.get(id);
    const current = stored.configuration;
    checkIfMatch(ifMatch, current.etag, `configuration '${id}'`);
    checkBodyId(id, body);
    if (!deepEqual(normaliseContent(body.content), current.content)) {
      throw invalid(
        `The content of configuration '${id}' cannot be updated: only targetCondition, priority, labels and metrics can change. Create a new configuration for new content`,
      );
    }
    const fields = this.readMutableFields(body, stored.kind);
    const systemQueries = isEdgeDeployment(stored) ? edgeSystemMetricQueries(id, fields.targetCondition) : {};
    // Results stay as the last evaluation left them (stale until the next cycle); new metrics start at 0.
    const keepResults = (queries: Record<string, string>, before: Configuration['metrics']) =>
      Object.fromEntries(
        Object.entries(queries).map(([name, sql]) => [
          name,
          before.queries[name] === sql ? (before.results[name] ?? 0) : 0,
        ]),
      );
    const updated: Configuration = {
      ...current,
      labels: fields.labels,
      targetCondition: fields.targetCondition,
      priority: fields.priority,
      lastUpdatedTimeUtc: isoTime(this.clock.now()),
      systemMetrics: { queries: systemQueries, results: keepResults(systemQueries, current.systemMetrics) },
      metrics: { queries: fields.metricQueries, results: keepResults(fields.metricQueries, current.metrics) },
      etag: this.etags.next(),
    };
    const next: StoredConfiguration = { ...stored, configuration: updated };
    this.byId.set(id, next);
    return next;
  }

  /** DELETE: If-Match is optional (the SDK sends none); a stale one is 412. */
  delete(id: string, ifMatch?: string): void {
    const stored = this.get(id);
    checkIfMatch(ifMatch, stored.configuration.etag, `configuration '${id}'`);
    this.byId.delete(id);
  }

  /** `POST /configurations/testQueries`: the errors the given conditions and queries would cause; no side effect. */
  testQueries(body: JsonObject): TestQueriesResult {
    const targetCondition = body.targetCondition ?? '';
    if (typeof targetCondition !== 'string') throw invalid('targetCondition must be a string');
    const customQueries = body.customMetricQueries ?? {};
    if (!isJsonObject(customQueries)) throw invalid('customMetricQueries must be an object of query strings');
    const customMetricQueryErrors: Record<string, string> = {};
    for (const [name, sql] of Object.entries(customQueries)) {
      const reason = this.metricQueryError(sql);
      if (reason) customMetricQueryErrors[name] = reason;
    }
    return { targetConditionError: this.targetConditionError(targetCondition), customMetricQueryErrors };
  }

  /** Stores what an evaluation cycle measured. Not a user change: etag and lastUpdatedTimeUtc stay. */
  recordResults(id: string, system: Record<string, number>, custom: Record<string, number>): void {
    const stored = this.byId.get(id);
    if (!stored) return;
    const { configuration } = stored;
    configuration.systemMetrics = { queries: configuration.systemMetrics.queries, results: system };
    configuration.metrics = { queries: configuration.metrics.queries, results: custom };
  }

  private targetConditionError(targetCondition: string, kind?: ContentKind): string {
    if (kind === 'module') {
      if (targetCondition.trim() === '') return '';
      if (!MODULE_TARGET_PREFIX.test(targetCondition)) {
        return "A module configuration's target condition must start with 'from devices.modules where'";
      }
      return this.queries.conditionError(targetCondition.replace(MODULE_TARGET_PREFIX, ''));
    }
    return this.queries.targetConditionError(targetCondition);
  }

  private metricQueryError(sql: unknown): string {
    if (typeof sql !== 'string' || sql.trim() === '') return 'The query must be a non-empty string';
    try {
      this.queries.compile(sql);
      return '';
    } catch (error) {
      if (error instanceof HubError) return error.message;
      throw error;
    }
  }

  private readMutableFields(body: JsonObject, kind: ContentKind): MutableFields {
    const targetCondition = body.targetCondition ?? '';
    if (typeof targetCondition !== 'string') throw invalid('targetCondition must be a string');
    const reason = this.targetConditionError(targetCondition, kind);
    if (reason) {
      throw new HubError(
        400,
        'InvalidConfigurationTargetCondition',
        `Invalid target condition '${targetCondition}': ${reason}`,
      );
    }
    // Plausible service behaviour where the reference is silent: a missing priority means 0.
    const priority = body.priority ?? 0;
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0) {
      throw invalid(`priority must be a non-negative integer, got ${JSON.stringify(priority)}`);
    }
    const labels = checkLabels(body.labels);
    return { targetCondition, priority, labels, metricQueries: this.readMetricQueries(body.metrics) };
  }

  private readMetricQueries(metrics: unknown): Record<string, string> {
    if (metrics === undefined || metrics === null) return {};
    if (!isJsonObject(metrics)) throw invalid('metrics must be an object {queries: {name: query}}');
    const queries = metrics.queries ?? {};
    if (!isJsonObject(queries)) throw invalid('metrics.queries must be an object of query strings');
    for (const [name, sql] of Object.entries(queries)) {
      checkMetricName(name);
      const reason = this.metricQueryError(sql);
      if (reason) throw invalid(`The custom metric '${name}' has an invalid query: ${reason}`);
    }
    return { ...(queries as Record<string, string>) };
  }
}

function checkBodyId(id: string, body: JsonObject): void {
  if (body.id !== undefined && body.id !== id) {
    throw invalid(
      `The configuration id in the body ('${String(body.id)}') differs from the id '${id}' in the path`,
    );
  }
}

/** The content as parseContent would store it, without validating it: empty parts dropped. */
function normaliseContent(raw: unknown): unknown {
  if (!isJsonObject(raw)) return raw;
  return Object.fromEntries(
    Object.entries(raw).filter(
      ([, value]) =>
        value !== null && value !== undefined && !(isJsonObject(value) && Object.keys(value).length === 0),
    ),
  );
}
