import { describe, expect, test } from '@jest/globals';
import {
  type GenerateManifestOptions,
  type JsonObject,
  type ModelModuleOptions,
  credentialName,
  expandTemplate,
  generateLayeredManifest,
  generateManifest,
  isLayered,
  manifestProblems,
  manifestSummary,
  registryCredentials,
  secretValues,
  withRegistryCredentials,
} from '../../../src/edge/index.js';

const IMAGE = `myacr.azurecr.io/model@sha256:${'c'.repeat(64)}`;
const MODULE: ModelModuleOptions = {
  name: 'model',
  image: IMAGE,
  model: {
    name: 'resnet',
    version: '7',
    uri: 'azureml://registries/r/models/resnet/versions/7',
    hash: 'sha256:abc',
  },
};
const REGISTRY = { address: 'myacr.azurecr.io', username: 'puller', password: 's3cret!' };

describe('generateManifest', () => {
  const manifest = generateManifest({ module: MODULE });
  const agent = manifest.modulesContent['$edgeAgent']?.['properties.desired'] as JsonObject;
  const hub = manifest.modulesContent['$edgeHub']?.['properties.desired'] as JsonObject;

  test('is a complete base deployment that validates, digest pinning included', () => {
    expect(isLayered(manifest)).toBe(false);
    expect(manifestProblems(manifest, { requireDigest: true })).toEqual([]);
  });

  test('targets IoT Edge 1.5: edgeAgent schema 1.1, edgeHub schema 1.2, default runtime images', () => {
    expect(agent['schemaVersion']).toBe('1.1');
    expect(hub['schemaVersion']).toBe('1.2');
    expect(agent['systemModules']).toEqual({
      edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5' } },
      edgeHub: {
        type: 'docker',
        status: 'running',
        restartPolicy: 'always',
        settings: {
          image: 'mcr.microsoft.com/azureiotedge-hub:1.5',
          createOptions:
            '{"HostConfig":{"PortBindings":{"5671/tcp":[{"HostPort":"5671"}],"8883/tcp":[{"HostPort":"8883"}],"443/tcp":[{"HostPort":"443"}]}}}',
        },
      },
    });
    expect(agent['runtime']).toEqual({ type: 'docker', settings: { minDockerVersion: 'v1.25' } });
  });

  test('the model module runs always, and its twin names the model', () => {
    expect(agent['modules']).toEqual({
      model: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: IMAGE } },
    });
    expect(manifest.modulesContent['model']).toEqual({
      'properties.desired': {
        model: {
          name: 'resnet',
          version: '7',
          uri: 'azureml://registries/r/models/resnet/versions/7',
          hash: 'sha256:abc',
        },
      },
    });
  });

  test('routes the module’s outputs to IoT Hub with store-and-forward', () => {
    expect(hub['routes']).toEqual({
      modelToUpstream: 'FROM /messages/modules/model/outputs/* INTO $upstream',
    });
    expect(hub['storeAndForwardConfiguration']).toEqual({ timeToLiveSecs: 7200 });
  });

  test('every option overrides its default, and the result still validates', () => {
    const options: GenerateManifestOptions = {
      module: {
        ...MODULE,
        env: { MODEL_DIR: '/models', THREADS: 4, DEBUG: false },
        createOptions: { HostConfig: { Binds: ['/var/models:/models'] } },
        restartPolicy: 'on-failure',
        status: 'stopped',
        startupOrder: 2,
        imagePullPolicy: 'never',
        version: '1.4.0',
        twin: { threshold: 0.5 },
      },
      routes: { toCloud: { route: 'FROM /messages/* INTO $upstream', priority: 1, timeToLiveSecs: 60 } },
      storeAndForwardTimeToLiveSecs: 60,
      edgeAgentImage: 'mcr.microsoft.com/azureiotedge-agent:1.4',
      edgeHubImage: 'mcr.microsoft.com/azureiotedge-hub:1.4',
      edgeHubCreateOptions: '{ "HostConfig": {} }',
      edgeAgentEnv: { UpstreamProtocol: 'AmqpWs' },
      edgeHubEnv: { OptimizeForPerformance: false },
      minDockerVersion: 'v1.40',
      registries: [REGISTRY],
    };
    const custom = generateManifest(options);
    const desired = custom.modulesContent['$edgeAgent']?.['properties.desired'] as JsonObject;
    expect((desired['modules'] as JsonObject)['model']).toEqual({
      version: '1.4.0',
      type: 'docker',
      status: 'stopped',
      restartPolicy: 'on-failure',
      startupOrder: 2,
      imagePullPolicy: 'never',
      env: { MODEL_DIR: { value: '/models' }, THREADS: { value: 4 }, DEBUG: { value: false } },
      settings: { image: IMAGE, createOptions: '{"HostConfig":{"Binds":["/var/models:/models"]}}' },
    });
    const system = desired['systemModules'] as JsonObject;
    expect(((system['edgeHub'] as JsonObject)['settings'] as JsonObject)['createOptions']).toBe(
      '{"HostConfig":{}}',
    );
    expect((custom.modulesContent['model']?.['properties.desired'] as JsonObject)['threshold']).toBe(0.5);
    expect(manifestProblems(custom)).toEqual([]);
  });
});

describe('registry credentials', () => {
  test.each([
    ['myacr.azurecr.io', 'myacr'],
    ['MyAcr.azurecr.io', 'myacr'],
    ['localhost:5000', 'localhost'],
    ['ghcr.io', 'ghcr'],
    ['registry-1.docker.io', 'registry-1'],
  ])('%s is named %s', (address, name) => {
    expect(credentialName(address)).toBe(name);
  });

  test('go into the runtime settings under the derived name, or the one given', () => {
    expect(registryCredentials([REGISTRY, { ...REGISTRY, address: 'ghcr.io', name: 'github' }])).toEqual({
      myacr: { username: 'puller', password: 's3cret!', address: 'myacr.azurecr.io' },
      github: { username: 'puller', password: 's3cret!', address: 'ghcr.io' },
    });
    const manifest = generateManifest({ module: MODULE, registries: [REGISTRY] });
    expect(manifestProblems(manifest)).toEqual([]);
    expect(secretValues(manifest)).toEqual(['s3cret!']);
  });

  test('fill a template’s entry for the same address, keeping its name', () => {
    const template = {
      modulesContent: {
        ...generateManifest({ module: MODULE }).modulesContent,
      },
    };
    const agent = template.modulesContent['$edgeAgent']?.['properties.desired'] as JsonObject;
    (agent['runtime'] as JsonObject)['settings'] = {
      registryCredentials: {
        prod: { address: 'MYACR.azurecr.io', username: '$USER', password: '$PASSWORD' },
      },
    };
    const { manifest } = expandTemplate(template);
    const filled = withRegistryCredentials(manifest, [REGISTRY]);
    const settings = (filled.modulesContent['$edgeAgent']?.['properties.desired'] as JsonObject)[
      'runtime'
    ] as JsonObject;
    expect((settings['settings'] as JsonObject)['registryCredentials']).toEqual({
      prod: { username: 'puller', password: 's3cret!', address: 'myacr.azurecr.io' },
    });
    expect(manifestProblems(filled)).toEqual([]);
    expect(manifestProblems(manifest).map((p) => p.message)).toEqual([
      'the registry username still holds the variable(s) USER, which nothing set',
      'the registry password still holds the variable(s) PASSWORD, which nothing set',
    ]);
  });

  test('go into a layered manifest as layered keys', () => {
    const filled = withRegistryCredentials(generateLayeredManifest({ module: MODULE }), [REGISTRY]);
    expect(filled.modulesContent['$edgeAgent']).toHaveProperty(
      ['properties.desired.runtime.settings.registryCredentials.myacr'],
      { username: 'puller', password: 's3cret!', address: 'myacr.azurecr.io' },
    );
    expect(manifestProblems(filled)).toEqual([]);
  });

  test('secretValues finds passwords in layered manifests too, and never lists an empty one', () => {
    const layered = generateLayeredManifest({
      module: MODULE,
      registries: [REGISTRY, { ...REGISTRY, address: 'ghcr.io' }],
    });
    expect(secretValues(layered)).toEqual(['s3cret!']);
    expect(secretValues(generateManifest({ module: MODULE }))).toEqual([]);
  });
});

describe('generateLayeredManifest', () => {
  const layered = generateLayeredManifest({
    module: { ...MODULE, createOptions: { HostConfig: {} } },
    routes: { modelToUpstream: 'FROM /messages/modules/model/outputs/* INTO $upstream' },
    registries: [REGISTRY],
  });

  test('holds only layered keys and the module twin, and validates', () => {
    expect(isLayered(layered)).toBe(true);
    expect(Object.keys(layered.modulesContent['$edgeAgent'] ?? {})).toEqual([
      'properties.desired.modules.model',
      'properties.desired.runtime.settings.registryCredentials.myacr',
    ]);
    expect(layered.modulesContent['$edgeHub']).toEqual({
      'properties.desired.routes.modelToUpstream': 'FROM /messages/modules/model/outputs/* INTO $upstream',
    });
    expect(Object.keys(layered.modulesContent['model'] ?? {})).toEqual(['properties.desired']);
    expect(JSON.stringify(layered)).not.toContain('systemModules');
    expect(manifestProblems(layered, { requireDigest: ['model'] })).toEqual([]);
  });

  test('adds no $edgeHub when it adds no routes', () => {
    expect(generateLayeredManifest({ module: MODULE }).modulesContent).not.toHaveProperty(['$edgeHub']);
  });

  test('isLayered follows the shape, as the service does', () => {
    expect(
      isLayered({ modulesContent: { model: { 'properties.desired.layeredProperties': { a: 1 } } } }),
    ).toBe(true);
    expect(isLayered({ modulesContent: { model: { 'properties.desired': { a: 1 } } } })).toBe(false);
    expect(isLayered({})).toBe(false);
    expect(isLayered('text')).toBe(false);
  });
});

describe('manifestSummary', () => {
  test('lists modules, images, routes and twin sizes, and no secrets', () => {
    const summary = manifestSummary(generateManifest({ module: MODULE, registries: [REGISTRY] }));
    expect(summary.layered).toBe(false);
    expect(summary.modules.map((m) => [m.name, m.system])).toEqual([
      ['edgeAgent', true],
      ['edgeHub', true],
      ['model', false],
    ]);
    expect(summary.routes).toEqual(['modelToUpstream']);
    expect(summary.twins.map((t) => t.name)).toEqual(['$edgeAgent', '$edgeHub', 'model']);
    expect(summary.lines[0]).toBe('base deployment: 1 module(s) + 2 system, 1 route(s)');
    expect(summary.lines).toContain(`  model: ${IMAGE}`);
    expect(summary.lines.join('\n')).not.toContain('s3cret!');
  });

  test('counts createOptions chunks and reads layered manifests', () => {
    const createOptions = { Env: Array.from({ length: 80 }, (_, i) => `V${i}=${'x'.repeat(10)}`) };
    const summary = manifestSummary(
      generateLayeredManifest({
        module: { ...MODULE, createOptions },
        routes: { r: 'FROM /* INTO $upstream' },
      }),
    );
    expect(summary).toMatchObject({ layered: true, routes: ['r'] });
    expect(summary.modules).toEqual([{ name: 'model', image: IMAGE, system: false, createOptionsChunks: 3 }]);
    expect(summary.lines).toContain(`  model: ${IMAGE} (createOptions in 3 chunks)`);
  });
});
