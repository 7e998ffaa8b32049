// A layered deployment adds the model module on top of whatever base deployment a device already
// has (reference §1.7): only `properties.desired.modules.<name>` on $edgeAgent, optionally
// `properties.desired.routes.<name>` on $edgeHub, and the module's own twin. Never system modules;
// the service requires a base deployment and a higher priority for the layer.
import { type ModelModuleOptions, modelTwinDesired, moduleDefinition } from './module-definition.js';
import { type RegistryCredentialInput, registryCredentials } from './registry-credentials.js';
import { DESIRED, type DeploymentManifest, type JsonObject, LAYERED_PREFIX, type Route } from './types.js';

export { isLayered } from './manifest-shape.js';

export interface GenerateLayeredManifestOptions {
  module: ModelModuleOptions;
  /** Routes this layer adds (route name → route). None by default: the base deployment's routes apply. */
  routes?: Readonly<Record<string, Route>>;
  /** Registries the device pulls this module from, added as layered registry credentials. */
  registries?: readonly RegistryCredentialInput[];
}

/** A layered `{modulesContent}` for the model module. Throws ManifestError for createOptions or registry input. */
export function generateLayeredManifest(options: GenerateLayeredManifestOptions): DeploymentManifest {
  const { module } = options;
  const moduleKey = `${LAYERED_PREFIX}modules.${module.name}`;
  const agent: JsonObject = {
    [moduleKey]: moduleDefinition(module, ['modulesContent', '$edgeAgent', moduleKey]),
  };
  const credentials = options.registries?.length ? registryCredentials(options.registries) : {};
  for (const [name, credential] of Object.entries(credentials)) {
    agent[`${LAYERED_PREFIX}runtime.settings.registryCredentials.${name}`] = { ...credential };
  }
  const routes = Object.entries(options.routes ?? {});
  return {
    modulesContent: {
      $edgeAgent: agent,
      ...(routes.length > 0
        ? {
            $edgeHub: Object.fromEntries(
              routes.map(([name, route]) => [`${LAYERED_PREFIX}routes.${name}`, route]),
            ),
          }
        : {}),
      [module.name]: { [DESIRED]: modelTwinDesired(module) },
    },
  };
}
