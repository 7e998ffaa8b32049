// A short account of a manifest for logs and the job summary: modules, images, routes, twin sizes.
// It holds no secrets (registry credentials are not listed).
import { readCreateOptions } from './create-options.js';
import { desiredObject, isLayered, moduleEntries } from './manifest-shape.js';
import { TWIN_LIMITS } from './twin-limits.js';
import { DESIRED, type DeploymentManifest, LAYERED_PREFIX, isJsonObject } from './types.js';

export interface ManifestSummary {
  layered: boolean;
  modules: { name: string; image: string; system: boolean; createOptionsChunks: number }[];
  routes: string[];
  /** Each twin's desired properties in bytes (the limit is 32 KB). */
  twins: { name: string; desiredBytes: number }[];
  /** The same, as lines to log. */
  lines: string[];
}

function kilobytes(size: number): string {
  return `${(size / 1024).toFixed(1)} KB`;
}

export function manifestSummary(manifest: DeploymentManifest): ManifestSummary {
  const layered = isLayered(manifest);
  const modules = moduleEntries(manifest).map(({ name, system, definition, path }) => {
    const settings = isJsonObject(definition['settings']) ? definition['settings'] : {};
    const image = typeof settings['image'] === 'string' ? settings['image'] : '(no image)';
    return { name, image, system, createOptionsChunks: readCreateOptions(settings, path).keys.length };
  });
  const hub = manifest.modulesContent['$edgeHub'] ?? {};
  const hubDesired = hub[DESIRED];
  const routes = [
    ...(isJsonObject(hubDesired) && isJsonObject(hubDesired['routes'])
      ? Object.keys(hubDesired['routes'])
      : []),
    ...Object.keys(hub)
      .filter((key) => key.startsWith(`${LAYERED_PREFIX}routes.`))
      .map((key) => key.slice(`${LAYERED_PREFIX}routes.`.length)),
  ];
  const twins = Object.entries(manifest.modulesContent).map(([name, twin]) => ({
    name,
    desiredBytes: Buffer.byteLength(JSON.stringify(desiredObject(twin, name)), 'utf8'),
  }));
  const custom = modules.filter((m) => !m.system).length;
  const lines = [
    `${layered ? 'layered' : 'base'} deployment: ${custom} module(s)${layered ? '' : ` + ${modules.length - custom} system`}, ` +
      `${routes.length} route(s)`,
    ...modules.map(
      (m) =>
        `  ${m.system ? 'system ' : ''}${m.name}: ${m.image}` +
        (m.createOptionsChunks > 1 ? ` (createOptions in ${m.createOptionsChunks} chunks)` : ''),
    ),
    ...twins.map(
      (t) =>
        `  twin ${t.name}: ${kilobytes(t.desiredBytes)} of ${kilobytes(TWIN_LIMITS.desiredBytes)} desired`,
    ),
  ];
  return { layered, modules, routes, twins, lines };
}
