// Minimal but complete IoT Edge deployments (the shape `az iot edge deployment create` sends), for
// tests that talk to the sandbox hub through the SDK.
import type { Configuration, ConfigurationContent } from 'azure-iothub';

/** `modulesContent` with edgeAgent, edgeHub and one custom module running `image`. */
export function edgeContent(image: string, module = 'inference'): ConfigurationContent {
  return {
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25' } },
          systemModules: {
            edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5' } },
            edgeHub: {
              type: 'docker',
              status: 'running',
              restartPolicy: 'always',
              settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5' },
            },
          },
          modules: {
            [module]: {
              version: '1.0',
              type: 'docker',
              status: 'running',
              restartPolicy: 'always',
              settings: { image },
            },
          },
        },
      },
      $edgeHub: {
        'properties.desired': {
          schemaVersion: '1.2',
          routes: { upstream: 'FROM /messages/* INTO $upstream' },
          storeAndForwardConfiguration: { timeToLiveSecs: 7200 },
        },
      },
    },
  };
}

/** An edge deployment configuration as the rollout creates them. */
export function edgeDeployment(
  id: string,
  image: string,
  fields: Partial<Omit<Configuration, 'id' | 'content'>> = {},
): Configuration {
  return {
    id,
    schemaVersion: '1.0',
    labels: { app: 'demo' },
    targetCondition: "tags.ring='canary'",
    priority: 10,
    ...fields,
    content: edgeContent(image),
  };
}
