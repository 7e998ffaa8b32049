// The demo's simulated fleet: devices of three architectures in rings, the defect `--fail <ring>`
// ships with the new release, and a census of what the devices really run, read from their reported
// twins (the evidence that a rollback took them back, independent of the rollout's own report).
import { customImages } from '../sandbox/edge-agent-sim.js';
import { isJsonObject } from '../sandbox/json-values.js';
import { ringFleet, type RingSize } from '../sandbox/fleet.js';
import type { SandboxHub } from '../sandbox/index.js';
import type { HubClient } from '../rollout/hub-client.js';
import type { SimulatedDeviceSpec } from '../sandbox/twin-store.js';

/** Every ring cycles through x86_64, aarch64 and armv7l devices, so the image needs all three platforms. */
export function demoDevices(rings: readonly RingSize[]): SimulatedDeviceSpec[] {
  return ringFleet({ rings, architectures: { x86_64: 1, aarch64: 1, armv7l: 1 } });
}

/** How many devices report each architecture, e.g. `x86_64 100, aarch64 100, armv7l 100`. */
export function architectureMix(devices: readonly SimulatedDeviceSpec[]): string {
  const counts = new Map<string, number>();
  for (const device of devices) {
    const architecture = device.architecture ?? 'unknown';
    counts.set(architecture, (counts.get(architecture) ?? 0) + 1);
  }
  return [...counts].map(([architecture, count]) => `${architecture} ${count}`).join(', ');
}

/**
 * The hub client for the release's rollout, with the demo's defect: when the rollout creates its
 * deployment, the `deviceIds` start crash-looping on the image that deployment carries, and only on
 * it, so the fallback's image runs fine again after a rollback. The image's digest is only known once
 * the pipeline has built it, which is why the defect is attached here rather than when the hub starts.
 */
export function withDefect(client: HubClient, hub: SandboxHub, deviceIds: readonly string[]): HubClient {
  const createDeployment: HubClient['createDeployment'] = async (deployment) => {
    const agent = deployment.content.modulesContent.$edgeAgent;
    const desired = isJsonObject(agent) ? agent['properties.desired'] : undefined;
    for (const image of isJsonObject(desired) ? customImages(desired) : []) {
      for (const id of deviceIds) hub.model.setBehaviour(id, 'crash-loop', image);
    }
    return client.createDeployment(deployment);
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === 'createDeployment') return createDeployment;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export interface ImageCensus {
  image: string;
  running: number;
  /** Devices whose module is not running (crash-looping, failed to pull). */
  failing: number;
}

/** What the devices' edge agents report running, per custom module image, most devices first. */
export function imageCensus(hub: SandboxHub, deviceIds = hub.model.deviceIds()): ImageCensus[] {
  const byImage = new Map<string, ImageCensus>();
  for (const id of deviceIds) {
    const reported = hub.model.getModuleTwin(id, '$edgeAgent').properties.reported;
    const modules = reported?.modules;
    if (!modules || typeof modules !== 'object') continue;
    for (const module of Object.values(modules as Record<string, unknown>)) {
      const entry = module as { settings?: { image?: unknown }; runtimeStatus?: unknown };
      if (typeof entry.settings?.image !== 'string') continue;
      const census = byImage.get(entry.settings.image) ?? {
        image: entry.settings.image,
        running: 0,
        failing: 0,
      };
      if (entry.runtimeStatus === 'running') census.running++;
      else census.failing++;
      byImage.set(census.image, census);
    }
  }
  return [...byImage.values()].sort((a, b) => b.running + b.failing - (a.running + a.failing));
}
