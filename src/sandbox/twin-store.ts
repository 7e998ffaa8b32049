// The hub's device registry and twins. Each device keeps one live device-twin document and its module
// twins, exactly in the service's JSON shape, so queries run over them without building anything.
// Sub-objects of a twin (tags, properties, configurations) are never changed in place: a change puts
// a new object in its place, which lets devices share frozen deployment content and keeps a query's
// rows stable while later pages are read. Callers get deep copies (see HubModel).
import type { Clock } from './clock.js';
import { EDGE_AGENT, EDGE_HUB } from './deployment-content.js';
import { checkIfMatch, type EtagSource } from './etags.js';
import type { QuerySource } from './hub-queries.js';
import {
  HubError,
  type ConfigurationStatus,
  type DeviceArchitecture,
  type DeviceBehaviour,
  type DeviceTwin,
  type EdgeDeviceSpec,
  type JsonObject,
  type ModuleTwin,
} from './hub-types.js';
import { isoTime } from './iso-time.js';
import { cloneJson, isJsonObject, mergePatch } from './json-values.js';
import { seededHash } from './seeded-hash.js';

/** An edge device to simulate; `behaviourImage` scopes the behaviour (see HubModel.setBehaviour). */
export interface SimulatedDeviceSpec extends EdgeDeviceSpec {
  behaviourImage?: string;
}

export type ConfigurationStatuses = Readonly<Record<string, { status: ConfigurationStatus }>>;

/** One simulated IoT Edge device: identity, twins, and the bookkeeping the deployment engine and agent need. */
export class EdgeDevice {
  /** Key of the deployment content last applied (see DeploymentEngine); undefined after a manual desired edit. */
  appliedKey: string | undefined;
  /** The automatic deployment whose content the device was last given; kept after that deployment is deleted. */
  appliedConfiguration: string | undefined;
  /** Increments on every report the edge agent schedules; queued reports with an older stamp are stale. */
  agentStamp = 0;
  /** True while the device is offline because of its behaviour: it neither receives nor reports. */
  offline = false;

  constructor(
    readonly deviceId: string,
    readonly architecture: DeviceArchitecture,
    readonly generationId: string,
    readonly identityEtag: string,
    public behaviour: DeviceBehaviour,
    public behaviourImage: string | undefined,
    readonly twin: DeviceTwin,
    readonly modules: ModuleTwin[],
  ) {}
}

const SAS_AUTHENTICATION = Object.freeze({ type: 'sas' });
const EDGE_CAPABILITIES = Object.freeze({ iotEdge: true });
const NO_STATUSES: ConfigurationStatuses = Object.freeze({});
/** The properties of a new twin; shared, since any change replaces the object. */
const FIRST_PROPERTIES = Object.freeze({ $version: 1 });

export class TwinStore {
  private readonly devices = new Map<string, EdgeDevice>();

  constructor(
    private readonly clock: Clock,
    private readonly etags: EtagSource,
    private readonly seed: number,
  ) {}

  get size(): number {
    return this.devices.size;
  }

  add(spec: SimulatedDeviceSpec): EdgeDevice {
    const { deviceId } = spec;
    if (typeof deviceId !== 'string' || !/^[A-Za-z0-9\-.+%_#*?!(),:=@$']{1,128}$/.test(deviceId)) {
      throw new HubError(400, 'ArgumentInvalid', `The device id '${String(deviceId)}' is invalid`);
    }
    if (this.devices.has(deviceId)) {
      throw new HubError(409, 'DeviceAlreadyExists', `A device with id '${deviceId}' is already registered`);
    }
    if (spec.tags !== undefined && !isJsonObject(spec.tags)) {
      throw new HubError(400, 'ArgumentInvalid', `The tags of device '${deviceId}' must be an object`);
    }
    const now = isoTime(this.clock.now());
    const twin: DeviceTwin = {
      deviceId,
      etag: this.etags.next(),
      deviceEtag: this.etags.next(),
      version: 1,
      status: 'enabled',
      connectionState: 'Connected',
      lastActivityTime: now,
      capabilities: EDGE_CAPABILITIES,
      tags: cloneJson(spec.tags ?? {}),
      properties: { desired: FIRST_PROPERTIES, reported: FIRST_PROPERTIES },
      configurations: NO_STATUSES,
    };
    const device = new EdgeDevice(
      deviceId,
      spec.architecture ?? 'x86_64',
      String(637_000_000_000_000_000 + seededHash(this.seed, 'generation', deviceId) * 1000),
      twin.deviceEtag,
      spec.behaviour ?? 'healthy',
      spec.behaviourImage || undefined,
      twin,
      [],
    );
    // The service creates both system module identities with every IoT Edge device.
    for (const moduleId of [EDGE_AGENT, EDGE_HUB]) this.addModule(device, moduleId, {});
    device.modules[0]!.configurations = NO_STATUSES;
    this.devices.set(deviceId, device);
    return device;
  }

  get(deviceId: string): EdgeDevice {
    const device = this.devices.get(deviceId);
    if (!device)
      throw new HubError(404, 'DeviceNotFound', `Device '${deviceId}' is not registered in this hub`);
    return device;
  }

  all(): IterableIterator<EdgeDevice> {
    return this.devices.values();
  }

  findModule(device: EdgeDevice, moduleId: string): ModuleTwin | undefined {
    return device.modules.find((module) => module.moduleId === moduleId);
  }

  module(device: EdgeDevice, moduleId: string): ModuleTwin {
    const module = this.findModule(device, moduleId);
    if (!module) {
      throw new HubError(
        404,
        'ModuleNotFound',
        `Module '${moduleId}' is not registered on device '${device.deviceId}'`,
      );
    }
    return module;
  }

  edgeAgentOf(device: EdgeDevice): ModuleTwin {
    return device.modules[0]!;
  }

  /** The live twins a query over `source` runs on; `edgeAgentOnly` narrows module twins to `$edgeAgent`. */
  documents(source: QuerySource, edgeAgentOnly = false): Iterable<JsonObject> {
    return source === 'devices' ? this.deviceDocuments() : this.moduleDocuments(edgeAgentOnly);
  }

  /** The live device twins, as the documents a query runs over. */
  private *deviceDocuments(): Generator<JsonObject> {
    for (const device of this.devices.values()) yield device.twin as unknown as JsonObject;
  }

  /** The live module twins (or only the `$edgeAgent` ones), as the documents a query runs over. */
  private *moduleDocuments(edgeAgentOnly = false): Generator<JsonObject> {
    for (const device of this.devices.values()) {
      if (edgeAgentOnly) yield device.modules[0] as unknown as JsonObject;
      else yield* device.modules as unknown as JsonObject[];
    }
  }

  /** Registers a module identity with its twin; `$edgeAgent` always stays first. */
  addModule(device: EdgeDevice, moduleId: string, desired: JsonObject): ModuleTwin {
    const module: ModuleTwin = {
      deviceId: device.deviceId,
      moduleId,
      etag: this.etags.next(),
      version: 1,
      // Custom modules connect once the edge agent has started them.
      connectionState: moduleId === EDGE_AGENT && !device.offline ? 'Connected' : 'Disconnected',
      lastActivityTime: isoTime(this.clock.now()),
      properties: {
        desired: Object.keys(desired).length ? { ...desired, $version: 1 } : FIRST_PROPERTIES,
        reported: FIRST_PROPERTIES,
      },
    };
    device.modules.push(module);
    return module;
  }

  removeModule(device: EdgeDevice, moduleId: string): void {
    if (moduleId === EDGE_AGENT || moduleId === EDGE_HUB) return;
    const index = device.modules.findIndex((module) => module.moduleId === moduleId);
    if (index >= 0) device.modules.splice(index, 1);
  }

  /** Replaces a twin's desired properties (the `$version` is the twin's own) and bumps versions. */
  replaceDesired(twin: DeviceTwin | ModuleTwin, desired: JsonObject): void {
    const version = Number(twin.properties.desired.$version ?? 0) + 1;
    twin.properties = { desired: { ...desired, $version: version }, reported: twin.properties.reported };
    this.touch(twin);
  }

  /** Replaces a twin's reported properties, as the device does; counts as device activity. */
  replaceReported(twin: DeviceTwin | ModuleTwin, reported: JsonObject): void {
    const version = Number(twin.properties.reported.$version ?? 0) + 1;
    twin.properties = { desired: twin.properties.desired, reported: { ...reported, $version: version } };
    twin.lastActivityTime = isoTime(this.clock.now());
    this.touch(twin);
  }

  setConfigurations(device: EdgeDevice, statuses: ConfigurationStatuses): void {
    device.twin.configurations = statuses;
    this.edgeAgentOf(device).configurations = statuses;
  }

  setConnected(device: EdgeDevice, twin: DeviceTwin | ModuleTwin, connected: boolean): void {
    const state = connected && !device.offline ? 'Connected' : 'Disconnected';
    if (twin.connectionState === state) return;
    twin.connectionState = state;
    if (state === 'Connected') twin.lastActivityTime = isoTime(this.clock.now());
  }

  /** `PATCH /twins/{id}`: merges tags and desired properties. Returns the live twin. */
  patchDeviceTwin(deviceId: string, patch: JsonObject, ifMatch?: string): DeviceTwin {
    const device = this.get(deviceId);
    const { twin } = device;
    checkIfMatch(ifMatch, twin.etag, `the twin of device '${deviceId}'`);
    checkPatchIdentity(patch, 'deviceId', deviceId);
    const { tags, desired } = readPatch(patch, true);
    if (tags) twin.tags = mergePatch(twin.tags, tags);
    if (desired) this.patchDesired(twin, desired);
    if (tags && !desired) this.touch(twin);
    return twin;
  }

  /** `PATCH /twins/{id}/modules/{moduleId}`: merges desired properties. Returns the live twin. */
  patchModuleTwin(deviceId: string, moduleId: string, patch: JsonObject, ifMatch?: string): ModuleTwin {
    const device = this.get(deviceId);
    const twin = this.module(device, moduleId);
    checkIfMatch(ifMatch, twin.etag, `the twin of module '${moduleId}' on device '${deviceId}'`);
    checkPatchIdentity(patch, 'deviceId', deviceId);
    checkPatchIdentity(patch, 'moduleId', moduleId);
    const { desired } = readPatch(patch, false);
    if (desired) {
      this.patchDesired(twin, desired);
      // A hand-made change means the device no longer has exactly what a deployment gave it.
      device.appliedKey = undefined;
    }
    return twin;
  }

  identity(device: EdgeDevice): JsonObject {
    const { twin } = device;
    return {
      deviceId: device.deviceId,
      generationId: device.generationId,
      etag: device.identityEtag,
      connectionState: twin.connectionState,
      status: twin.status,
      statusReason: null,
      connectionStateUpdatedTime: twin.lastActivityTime,
      statusUpdatedTime: '0001-01-01T00:00:00Z',
      lastActivityTime: twin.lastActivityTime,
      cloudToDeviceMessageCount: 0,
      authentication: SAS_AUTHENTICATION,
      capabilities: twin.capabilities,
    };
  }

  private patchDesired(twin: DeviceTwin | ModuleTwin, patch: JsonObject): void {
    const { $version: _version, ...current } = twin.properties.desired;
    this.replaceDesired(twin, mergePatch(current, patch));
  }

  private touch(twin: DeviceTwin | ModuleTwin): void {
    twin.version += 1;
    twin.etag = this.etags.next();
  }
}

function checkPatchIdentity(patch: JsonObject, field: string, expected: string): void {
  if (patch[field] !== undefined && patch[field] !== expected) {
    throw new HubError(
      400,
      'ArgumentInvalid',
      `The patch's ${field} '${String(patch[field])}' differs from '${expected}'`,
    );
  }
}

/** The parts of a twin patch the service lets a back end change; read-only fields are ignored. */
function readPatch(patch: JsonObject, allowTags: boolean): { tags?: JsonObject; desired?: JsonObject } {
  const { tags, properties } = patch;
  if (tags !== undefined && tags !== null) {
    if (!allowTags)
      throw new HubError(400, 'ArgumentInvalid', 'The sandbox does not support tags on module twins');
    if (!isJsonObject(tags)) throw new HubError(400, 'ArgumentInvalid', 'tags must be an object');
  }
  let desired: JsonObject | undefined;
  if (properties !== undefined && properties !== null) {
    if (!isJsonObject(properties)) throw new HubError(400, 'ArgumentInvalid', 'properties must be an object');
    if (properties.reported !== undefined) {
      throw new HubError(
        400,
        'ArgumentInvalid',
        'Reported properties can only be set by the device, not in a twin patch',
      );
    }
    if (properties.desired !== undefined && properties.desired !== null) {
      if (!isJsonObject(properties.desired)) {
        throw new HubError(400, 'ArgumentInvalid', 'properties.desired must be an object');
      }
      const reserved = Object.keys(properties.desired).find((key) => key.startsWith('$'));
      if (reserved)
        throw new HubError(400, 'ArgumentInvalid', `The desired property '${reserved}' is reserved`);
      desired = properties.desired;
    }
  }
  return { tags: isJsonObject(tags) ? tags : undefined, desired };
}
