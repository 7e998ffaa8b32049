// The automatic-deployment cycle, as the service runs it shortly after a configuration changes and then
// every five minutes (reference §1.5–1.9): pick each device's winning deployment and the layers above
// it, give its module twins the merged desired content when that differs from what they have, record
// `configurations.[[id]].status` on the device and `$edgeAgent` twins, then refresh every
// configuration's metric results. Between cycles those results are stale, as on the real hub.
import {
  isEdgeDeployment,
  EDGE_AGENT_ONLY_METRICS,
  type ConfigurationStore,
  type StoredConfiguration,
} from './configurations.js';
import {
  EDGE_AGENT,
  EDGE_HUB,
  parseContent,
  resolveModules,
  type ModulesContent,
  type ResolvedModules,
} from './deployment-content.js';
import type { EdgeAgentSimulator } from './edge-agent-sim.js';
import { HubError, type ConfigurationStatus, type JsonObject } from './hub-types.js';
import type { Condition, DocumentSource, HubQueries } from './hub-queries.js';
import { cloneJson, deepEqual } from './json-values.js';
import type { ConfigurationStatuses, EdgeDevice, TwinStore } from './twin-store.js';

/** Desired content for a device's module twins; `key` names the exact deployments it came from. */
interface ResolvedContent {
  readonly key: string;
  readonly modules: ResolvedModules;
}

interface Candidate {
  readonly stored: StoredConfiguration;
  readonly matches: Condition;
}

const NO_STATUSES: ConfigurationStatuses = Object.freeze({});
const NEVER_MATCHES: Condition = () => false;

/** Higher priority first; on a tie the most recently created wins (reference §1.6). */
function byPrecedence(a: StoredConfiguration, b: StoredConfiguration): number {
  return b.configuration.priority - a.configuration.priority || b.serial - a.serial;
}

export class DeploymentEngine {
  /** Merged content per combination of deployments, shared by every device that gets that combination. */
  private resolved = new Map<string, ResolvedContent>();
  /** One frozen status map per distinct combination, shared by all devices in it. */
  private statusMaps = new Map<string, ConfigurationStatuses>();
  private usedStatusMaps = new Map<string, ConfigurationStatuses>();
  private perDeviceContents = 0;

  constructor(
    private readonly configurations: ConfigurationStore,
    private readonly twins: TwinStore,
    private readonly queries: HubQueries,
    private readonly agents: EdgeAgentSimulator,
  ) {}

  /** One full evaluation cycle. */
  evaluate(): void {
    const deployments = [...this.configurations.all()].filter(isEdgeDeployment).sort(byPrecedence);
    const candidates: Candidate[] = deployments.map((stored) => {
      const condition = stored.configuration.targetCondition;
      // A deployment with no target condition targets no device (reference §1.5).
      return { stored, matches: condition.trim() === '' ? NEVER_MATCHES : this.queries.condition(condition) };
    });
    const used = new Map<string, ResolvedContent>();
    this.usedStatusMaps = new Map();
    for (const device of this.twins.all()) this.evaluateDevice(device, candidates, used);
    // What no device uses any more (e.g. content of deleted deployments) is let go.
    this.resolved = used;
    this.statusMaps = this.usedStatusMaps;
    this.refreshMetrics();
  }

  /** `applyConfigurationContent`: a per-device deployment, applied at once; an automatic one overrides it later. */
  applyDeviceContent(device: EdgeDevice, rawContent: JsonObject): void {
    const { content, kind } = parseContent(cloneJson(rawContent));
    if (kind !== 'edge-standard') {
      throw new HubError(
        400,
        'ArgumentInvalid',
        'applyConfigurationContent needs a complete IoT Edge deployment: modulesContent with $edgeAgent and $edgeHub, not layered content',
      );
    }
    const key = `device:${++this.perDeviceContents}`;
    this.apply(device, { key, modules: resolveModules(content.modulesContent as ModulesContent) });
    device.appliedConfiguration = undefined;
  }

  private evaluateDevice(
    device: EdgeDevice,
    candidates: readonly Candidate[],
    used: Map<string, ResolvedContent>,
  ): void {
    const twin = device.twin;
    const targeted: StoredConfiguration[] = [];
    let winner: StoredConfiguration | undefined;
    for (const { stored, matches } of candidates) {
      if (!matches(twin as unknown as JsonObject)) continue;
      targeted.push(stored);
      if (!winner && stored.kind === 'edge-standard') winner = stored;
    }
    if (targeted.length === 0) {
      // Nothing targets the device: it keeps the content it has (deleting or narrowing never stops modules).
      this.setStatuses(device, [], undefined);
      return;
    }
    // Layers above the winner merge on top, lowest priority first; without a base, a layer is only targeted.
    const layers = winner
      ? targeted
          .filter(
            (s) => s.kind === 'edge-layered' && s.configuration.priority > winner.configuration.priority,
          )
          .reverse()
      : [];
    const applied = winner ? [winner, ...layers] : [];
    this.setStatuses(device, targeted, new Set(applied));
    if (!winner) return;
    const key = applied.map((s) => s.serial).join('+');
    let content = used.get(key) ?? this.resolved.get(key);
    if (!content) {
      const modulesOf = (s: StoredConfiguration) => s.configuration.content.modulesContent as ModulesContent;
      content = { key, modules: resolveModules(modulesOf(winner), layers.map(modulesOf)) };
    }
    used.set(key, content);
    this.apply(device, content);
    device.appliedConfiguration = winner.configuration.id;
  }

  private setStatuses(
    device: EdgeDevice,
    targeted: readonly StoredConfiguration[],
    applied: ReadonlySet<StoredConfiguration> | undefined,
  ): void {
    let statuses = NO_STATUSES;
    if (targeted.length > 0) {
      const entries = targeted.map((s): [string, ConfigurationStatus] => [
        s.configuration.id,
        applied?.has(s) ? 'Applied' : 'Targeted',
      ]);
      const key = entries.map(([id, status]) => `${id}\u0000${status}`).join('\u0001');
      statuses = this.usedStatusMaps.get(key) ?? this.statusMaps.get(key) ?? frozenStatuses(entries);
      this.usedStatusMaps.set(key, statuses);
    }
    if (device.twin.configurations !== statuses) this.twins.setConfigurations(device, statuses);
  }

  /** Gives the module twins their desired content; unchanged content keeps its `$version`. */
  private apply(device: EdgeDevice, content: ResolvedContent): void {
    if (device.appliedKey === content.key) return;
    let changed = false;
    for (const [moduleId, desired] of content.modules) {
      const twin = this.twins.findModule(device, moduleId);
      if (!twin) {
        this.twins.addModule(device, moduleId, desired);
        changed = true;
      } else if (!sameDesired(twin.properties.desired, desired)) {
        this.twins.replaceDesired(twin, desired);
        changed = true;
      }
    }
    // edgeAgent removes the identities of modules the new deployment no longer runs.
    const dropped = device.modules.filter(
      ({ moduleId }) => moduleId !== EDGE_AGENT && moduleId !== EDGE_HUB && !content.modules.has(moduleId),
    );
    for (const twin of dropped) this.twins.removeModule(device, twin.moduleId);
    changed ||= dropped.length > 0;
    device.appliedKey = content.key;
    if (changed) this.agents.desiredChanged(device);
  }

  private refreshMetrics(): void {
    const allTwins: DocumentSource = (source) => this.twins.documents(source);
    const edgeAgentTwins: DocumentSource = (source) => this.twins.documents(source, true);
    for (const stored of this.configurations.all()) {
      const { systemMetrics, metrics, id } = stored.configuration;
      const system = Object.fromEntries(
        Object.entries(systemMetrics.queries).map(([name, sql]) => [
          name,
          this.queries.count(sql, EDGE_AGENT_ONLY_METRICS.includes(name) ? edgeAgentTwins : allTwins),
        ]),
      );
      const custom = Object.fromEntries(
        Object.entries(metrics.queries).map(([name, sql]) => [name, this.queries.count(sql, allTwins)]),
      );
      this.configurations.recordResults(id, system, custom);
    }
  }
}

function frozenStatuses(entries: readonly (readonly [string, ConfigurationStatus])[]): ConfigurationStatuses {
  return Object.freeze(Object.fromEntries(entries.map(([id, status]) => [id, Object.freeze({ status })])));
}

/** Whether a twin's desired properties (ignoring its own `$version`) already equal `desired`. */
function sameDesired(current: JsonObject, desired: JsonObject): boolean {
  let count = 0;
  for (const key of Object.keys(current)) {
    if (key === '$version') continue;
    count += 1;
    if (!Object.hasOwn(desired, key) || !deepEqual(current[key], desired[key])) return false;
  }
  return count === Object.keys(desired).length;
}
