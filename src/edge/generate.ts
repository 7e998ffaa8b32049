// A complete base deployment for the model module when the user has no template: the IoT Edge 1.5
// runtime (edgeAgent schema 1.1, edgeHub schema 1.2), one route from the module to IoT Hub, and the
// module twin that names the model.
import {
  type ModelModuleOptions,
  envSection,
  modelTwinDesired,
  moduleDefinition,
} from './module-definition.js';
import { type RegistryCredentialInput, registryCredentials } from './registry-credentials.js';
import { settingsWithCreateOptions } from './create-options.js';
import {
  type CreateOptions,
  DEFAULT_EDGE_AGENT_IMAGE,
  DEFAULT_EDGE_HUB_IMAGE,
  DESIRED,
  type DeploymentManifest,
  EDGE_AGENT_SCHEMA_VERSION,
  EDGE_HUB_SCHEMA_VERSION,
  type EnvValues,
  type JsonObject,
  type Route,
} from './types.js';

/** The ports edgeHub publishes for downstream devices and modules: AMQPS, MQTTS and HTTPS/WebSockets. */
export const EDGE_HUB_PORT_BINDINGS: JsonObject = {
  HostConfig: {
    PortBindings: {
      '5671/tcp': [{ HostPort: '5671' }],
      '8883/tcp': [{ HostPort: '8883' }],
      '443/tcp': [{ HostPort: '443' }],
    },
  },
};
export const DEFAULT_STORE_AND_FORWARD_TTL_SECS = 7200;

export interface GenerateManifestOptions {
  module: ModelModuleOptions;
  /** Route name → route. Default: `<module>ToUpstream`, the module's outputs to IoT Hub. */
  routes?: Readonly<Record<string, Route>>;
  /** How long edgeHub keeps messages it cannot deliver. Default 7200. */
  storeAndForwardTimeToLiveSecs?: number;
  /** Default `mcr.microsoft.com/azureiotedge-agent:1.5`. */
  edgeAgentImage?: string;
  /** Default `mcr.microsoft.com/azureiotedge-hub:1.5`. */
  edgeHubImage?: string;
  /** Default: port bindings for 5671, 8883 and 443. */
  edgeHubCreateOptions?: CreateOptions;
  edgeAgentEnv?: EnvValues;
  edgeHubEnv?: EnvValues;
  /** Default `v1.25`. */
  minDockerVersion?: string;
  /** Registries the device pulls from; none means public images only. */
  registries?: readonly RegistryCredentialInput[];
}

/** The default route for a module: everything it outputs goes to IoT Hub. */
export function upstreamRoute(moduleName: string): Record<string, string> {
  return { [`${moduleName}ToUpstream`]: `FROM /messages/modules/${moduleName}/outputs/* INTO $upstream` };
}

/** A complete `{modulesContent}` base deployment. Throws ManifestError for createOptions or registry input. */
export function generateManifest(options: GenerateManifestOptions): DeploymentManifest {
  const { module } = options;
  const agentDesired = ['modulesContent', '$edgeAgent', DESIRED];
  const hubAt = [...agentDesired, 'systemModules', 'edgeHub', 'settings', 'createOptions'];
  const credentials = options.registries?.length ? registryCredentials(options.registries) : undefined;
  return {
    modulesContent: {
      $edgeAgent: {
        [DESIRED]: {
          schemaVersion: EDGE_AGENT_SCHEMA_VERSION,
          runtime: {
            type: 'docker',
            settings: {
              minDockerVersion: options.minDockerVersion ?? 'v1.25',
              ...(credentials ? { registryCredentials: { ...credentials } } : {}),
            },
          },
          systemModules: {
            edgeAgent: {
              type: 'docker',
              settings: { image: options.edgeAgentImage ?? DEFAULT_EDGE_AGENT_IMAGE },
              ...(options.edgeAgentEnv ? { env: envSection(options.edgeAgentEnv) } : {}),
            },
            edgeHub: {
              type: 'docker',
              status: 'running',
              restartPolicy: 'always',
              settings: settingsWithCreateOptions(
                { image: options.edgeHubImage ?? DEFAULT_EDGE_HUB_IMAGE },
                options.edgeHubCreateOptions ?? EDGE_HUB_PORT_BINDINGS,
                hubAt,
              ),
              ...(options.edgeHubEnv ? { env: envSection(options.edgeHubEnv) } : {}),
            },
          },
          modules: { [module.name]: moduleDefinition(module, [...agentDesired, 'modules', module.name]) },
        },
      },
      $edgeHub: {
        [DESIRED]: {
          schemaVersion: EDGE_HUB_SCHEMA_VERSION,
          routes: { ...(options.routes ?? upstreamRoute(module.name)) },
          storeAndForwardConfiguration: {
            timeToLiveSecs: options.storeAndForwardTimeToLiveSecs ?? DEFAULT_STORE_AND_FORWARD_TTL_SECS,
          },
        },
      },
      [module.name]: { [DESIRED]: modelTwinDesired(module) },
    },
  };
}
