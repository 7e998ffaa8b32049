// Simulated IoT Edge agents. When a device's desired content changes, its agent reports back after a
// latency, as edgeAgent does: `lastDesiredVersion`, `lastDesiredStatus` and the runtime state of every
// module (reference §1.10), shaped by the device's behaviour. All devices share one DueQueue, so a
// 100k-device fleet costs heap entries, not timers.
import type { Clock } from './clock.js';
import { EDGE_AGENT, EDGE_HUB } from './deployment-content.js';
import { DueQueue } from './due-queue.js';
import type { DeviceArchitecture, DeviceBehaviour, JsonObject, ModuleTwin } from './hub-types.js';
import { isoTime } from './iso-time.js';
import { deepEqual, deepFreeze, isJsonObject } from './json-values.js';
import { seededUnit } from './seeded-hash.js';
import type { EdgeDevice, TwinStore } from './twin-store.js';

/** Healthy agents report 20–60 s after a change; slow ones about ten times later. */
export const HEALTHY_LATENCY_MS = { min: 20_000, max: 60_000 };
export const SLOW_FACTOR = 10;
/** edgeAgent restarts a crashing module with an exponential back-off: 10 s, 20 s, 40 s … capped at 5 min. */
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
const NEVER = '0001-01-01T00:00:00Z';

const NO_MODULES = Object.freeze({});
const OK_STATUS = Object.freeze({ code: 200, description: '' });
const NOT_CONFIGURED = Object.freeze({
  code: 417,
  description: "The device's deployment configuration is not set",
});
const REJECTED = Object.freeze({
  code: 400,
  description:
    'The deployment was rejected: edgeAgent could not validate the module configuration (simulated reject-manifest)',
});

const DOCKER_PLATFORMS: Record<DeviceArchitecture, string> = {
  x86_64: 'linux/amd64',
  aarch64: 'linux/arm64',
  armv7l: 'linux/arm/v7',
};

function runtime(architecture: DeviceArchitecture): JsonObject {
  return deepFreeze({ type: 'docker', platform: { os: 'linux', architecture, version: '1.5.0' } });
}

/** Shared by every device of an architecture. */
const RUNTIMES: Record<DeviceArchitecture, JsonObject> = {
  x86_64: runtime('x86_64'),
  aarch64: runtime('aarch64'),
  armv7l: runtime('armv7l'),
};

/** Fields edgeAgent adds to a module's desired spec when it reports the module; the rest echo the spec. */
const RUNTIME_FIELDS = [
  'runtimeStatus',
  'exitCode',
  'statusDescription',
  'restartCount',
  'startTimeUtc',
  'lastStartTimeUtc',
  'lastExitTimeUtc',
  'lastRestartTimeUtc',
];

interface ReportTask {
  device: EdgeDevice;
  stamp: number;
}

/** The custom modules' images in an `$edgeAgent` desired manifest. */
export function customImages(agentDesired: JsonObject): string[] {
  const modules = isJsonObject(agentDesired.modules) ? Object.values(agentDesired.modules) : [];
  return modules.flatMap((module) => {
    const image = isJsonObject(module) && isJsonObject(module.settings) ? module.settings.image : undefined;
    return typeof image === 'string' ? [image] : [];
  });
}

/** A behaviour scoped by image shows only while some custom module runs an image containing that text. */
export function effectiveBehaviour(device: EdgeDevice, agentDesired: JsonObject): DeviceBehaviour {
  const scope = device.behaviourImage;
  if (!scope) return device.behaviour;
  return customImages(agentDesired).some((image) => image.includes(scope)) ? device.behaviour : 'healthy';
}

export class EdgeAgentSimulator {
  private readonly queue: DueQueue<ReportTask>;
  private boot: { at: string; systemModules: JsonObject } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly twins: TwinStore,
    private readonly seed: number,
  ) {
    this.queue = new DueQueue(clock, (task) => this.report(task));
  }

  /** Reports pending in the queue (stale ones included until they fall due). */
  get pendingReports(): number {
    return this.queue.size;
  }

  /** A freshly provisioned device: edgeAgent runs, has no deployment yet (417), edgeHub not started. */
  start(device: EdgeDevice): void {
    this.twins.replaceReported(this.twins.edgeAgentOf(device), {
      schemaVersion: '1.1',
      runtime: RUNTIMES[device.architecture],
      systemModules: this.bootSystemModules(),
      modules: NO_MODULES,
      lastDesiredVersion: 1,
      lastDesiredStatus: NOT_CONFIGURED,
    });
    if (effectiveBehaviour(device, {}) === 'offline') this.goOffline(device);
  }

  /** The hub changed some desired properties of the device's module twins. */
  desiredChanged(device: EdgeDevice): void {
    if (device.offline) return;
    if (effectiveBehaviour(device, this.agentDesired(device)) === 'offline') {
      this.goOffline(device);
      return;
    }
    this.scheduleReport(device);
  }

  /** The behaviour changed: reconnect or disconnect, and report the new state after the usual latency. */
  behaviourChanged(device: EdgeDevice): void {
    if (effectiveBehaviour(device, this.agentDesired(device)) === 'offline') {
      this.goOffline(device);
      return;
    }
    if (device.offline) {
      device.offline = false;
      this.twins.setConnected(device, device.twin, true);
      this.twins.setConnected(device, this.twins.edgeAgentOf(device), true);
    }
    this.scheduleReport(device);
  }

  stop(): void {
    this.queue.stop();
  }

  private agentDesired(device: EdgeDevice): JsonObject {
    return this.twins.edgeAgentOf(device).properties.desired;
  }

  private scheduleReport(device: EdgeDevice): void {
    const stamp = ++device.agentStamp;
    const { min, max } = HEALTHY_LATENCY_MS;
    let latency = min + seededUnit(this.seed, 'latency', device.deviceId, stamp) * (max - min);
    if (effectiveBehaviour(device, this.agentDesired(device)) === 'slow') latency *= SLOW_FACTOR;
    this.queue.schedule(latency, { device, stamp });
  }

  private goOffline(device: EdgeDevice): void {
    device.offline = true;
    device.agentStamp += 1; // drops any report still queued
    this.twins.setConnected(device, device.twin, false);
    for (const module of device.modules) this.twins.setConnected(device, module, false);
  }

  private isoNow(): string {
    return isoTime(this.clock.now());
  }

  /** Only edgeAgent runs before the first deployment; devices started at one instant share the entry. */
  private bootSystemModules(): JsonObject {
    const now = this.isoNow();
    if (this.boot?.at !== now) {
      const edgeAgent = {
        type: 'docker',
        settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5' },
        runtimeStatus: 'running',
        exitCode: 0,
        restartCount: 0,
        startTimeUtc: now,
        lastStartTimeUtc: now,
        lastExitTimeUtc: NEVER,
      };
      this.boot = { at: now, systemModules: deepFreeze({ edgeAgent }) };
    }
    return this.boot.systemModules;
  }

  private report({ device, stamp }: ReportTask): void {
    if (stamp !== device.agentStamp || device.offline) return;
    const agentTwin = this.twins.edgeAgentOf(device);
    const desired = agentTwin.properties.desired;
    const behaviour = effectiveBehaviour(device, desired);
    if (behaviour === 'offline') return this.goOffline(device);

    const previous = agentTwin.properties.reported;
    const status = behaviour === 'reject-manifest' ? REJECTED : manifestStatus(desired);
    const reported: JsonObject = {
      ...withoutVersion(previous),
      schemaVersion: typeof desired.schemaVersion === 'string' ? desired.schemaVersion : '1.1',
      lastDesiredVersion: desired.$version,
      lastDesiredStatus: status,
    };
    // A rejected manifest leaves the modules as they were; an accepted one is what the agent now runs.
    const accepted = status.code === 200;
    if (accepted) {
      reported.systemModules = this.systemModulesReport(desired, previous);
      reported.modules = this.customModulesReport(device, desired, previous, behaviour);
    }
    if (!deepEqual(withoutVersion(previous), reported)) this.twins.replaceReported(agentTwin, reported);
    if (accepted) {
      this.reportEdgeHub(device);
      this.reportCustomModuleTwins(device, reported.modules as JsonObject);
    }
    if (accepted && behaviour === 'crash-loop' && Object.keys(reported.modules as JsonObject).length > 0) {
      const restarts = Math.max(
        ...Object.values(reported.modules as Record<string, JsonObject>).map((m) =>
          Number(m.restartCount ?? 0),
        ),
      );
      this.queue.schedule(Math.min(BACKOFF_BASE_MS * 2 ** (restarts - 1), BACKOFF_MAX_MS), { device, stamp });
    }
  }

  private systemModulesReport(desired: JsonObject, previous: JsonObject): JsonObject {
    const specs = isJsonObject(desired.systemModules) ? desired.systemModules : {};
    const before = isJsonObject(previous.systemModules) ? previous.systemModules : {};
    const result: JsonObject = {};
    for (const [name, spec] of Object.entries(specs)) {
      if (isJsonObject(spec)) result[name] = this.runningEntry(spec, before[name]);
    }
    return result;
  }

  private customModulesReport(
    device: EdgeDevice,
    desired: JsonObject,
    previous: JsonObject,
    behaviour: DeviceBehaviour,
  ): JsonObject {
    const specs = isJsonObject(desired.modules) ? desired.modules : {};
    const before = isJsonObject(previous.modules) ? previous.modules : {};
    const result: JsonObject = {};
    for (const [name, spec] of Object.entries(specs)) {
      if (!isJsonObject(spec)) continue;
      const prior = before[name];
      if (behaviour === 'crash-loop') result[name] = this.crashingEntry(spec, prior);
      else if (behaviour === 'arch-mismatch')
        result[name] = this.unpullableEntry(spec, prior, device.architecture);
      else result[name] = this.runningEntry(spec, prior);
    }
    return result;
  }

  /** A module running its spec; the previous entry is kept (same start time) when nothing changed. */
  private runningEntry(spec: JsonObject, prior: unknown): JsonObject {
    const runtimeStatus = spec.status === 'stopped' ? 'stopped' : 'running';
    if (isJsonObject(prior) && prior.runtimeStatus === runtimeStatus && sameSpec(prior, spec)) return prior;
    const now = this.isoNow();
    return {
      ...spec,
      runtimeStatus,
      exitCode: 0,
      statusDescription: runtimeStatus,
      restartCount: 0,
      startTimeUtc: now,
      lastStartTimeUtc: now,
      lastExitTimeUtc:
        isJsonObject(prior) && typeof prior.lastExitTimeUtc === 'string' ? prior.lastExitTimeUtc : NEVER,
    };
  }

  /** A module that exits with code 1 each time edgeAgent starts it: `restartCount` grows with every report. */
  private crashingEntry(spec: JsonObject, prior: unknown): JsonObject {
    const stillCrashing = isJsonObject(prior) && prior.runtimeStatus === 'backoff' && sameSpec(prior, spec);
    const restartCount = (stillCrashing ? Number(prior.restartCount ?? 0) : 0) + 1;
    const now = this.isoNow();
    return {
      ...spec,
      runtimeStatus: 'backoff',
      exitCode: 1,
      statusDescription: `Module exited with code 1; edgeAgent restarts it with a back-off (restart ${restartCount})`,
      restartCount,
      startTimeUtc: stillCrashing ? prior.startTimeUtc : now,
      lastStartTimeUtc: now,
      lastExitTimeUtc: now,
      lastRestartTimeUtc: now,
    };
  }

  /** A module whose image has no variant for the device's platform: it can never start. */
  private unpullableEntry(spec: JsonObject, prior: unknown, architecture: DeviceArchitecture): JsonObject {
    if (isJsonObject(prior) && prior.runtimeStatus === 'failed' && sameSpec(prior, spec)) return prior;
    const image = isJsonObject(spec.settings) ? String(spec.settings.image ?? '') : '';
    return {
      ...spec,
      runtimeStatus: 'failed',
      exitCode: 1,
      statusDescription: `Failed to pull ${image}: no matching manifest for ${DOCKER_PLATFORMS[architecture]} in the manifest list entries (the device architecture is ${architecture}; the image has no variant for it)`,
      restartCount: 0,
      lastStartTimeUtc: NEVER,
      lastExitTimeUtc: this.isoNow(),
    };
  }

  private reportEdgeHub(device: EdgeDevice): void {
    const hub = this.twins.findModule(device, EDGE_HUB);
    if (!hub) return;
    const reported = {
      schemaVersion:
        typeof hub.properties.desired.schemaVersion === 'string'
          ? hub.properties.desired.schemaVersion
          : '1.2',
      lastDesiredVersion: hub.properties.desired.$version,
      lastDesiredStatus: OK_STATUS,
      clients: {},
    };
    this.twins.setConnected(device, hub, true);
    if (!deepEqual(withoutVersion(hub.properties.reported), reported))
      this.twins.replaceReported(hub, reported);
  }

  /** Running custom modules connect and acknowledge their desired properties; failing ones stay disconnected. */
  private reportCustomModuleTwins(device: EdgeDevice, modules: JsonObject): void {
    for (const twin of device.modules) {
      if (twin.moduleId === EDGE_AGENT || twin.moduleId === EDGE_HUB) continue;
      const state = modules[twin.moduleId];
      const running = isJsonObject(state) && state.runtimeStatus === 'running';
      this.twins.setConnected(device, twin, running);
      if (running) this.acknowledgeDesired(twin);
    }
  }

  private acknowledgeDesired(twin: ModuleTwin): void {
    const { $version, ...desired } = twin.properties.desired;
    const reported = { ...desired, lastDesiredVersion: $version };
    if (!deepEqual(withoutVersion(twin.properties.reported), reported))
      this.twins.replaceReported(twin, reported);
  }
}

/** What edgeAgent answers for a desired manifest it receives (reference §1.10 status codes). */
function manifestStatus(desired: JsonObject): { code: number; description: string } {
  const fields = Object.keys(desired).filter((key) => !key.startsWith('$'));
  if (fields.length === 0) return NOT_CONFIGURED;
  const missing = ['schemaVersion', 'runtime', 'systemModules', 'modules'].filter(
    (key) => desired[key] === undefined,
  );
  if (missing.length > 0) {
    return {
      code: 400,
      description: `Invalid configuration: the $edgeAgent desired properties lack ${missing.join(', ')}`,
    };
  }
  return OK_STATUS;
}

function withoutVersion(properties: JsonObject): JsonObject {
  const { $version: _version, ...rest } = properties;
  return rest;
}

function sameSpec(entry: JsonObject, spec: JsonObject): boolean {
  const echoed = Object.fromEntries(Object.entries(entry).filter(([key]) => !RUNTIME_FIELDS.includes(key)));
  return deepEqual(echoed, spec);
}
