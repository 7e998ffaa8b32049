// The stage's inputs as engine options: defaults from the run (app from the repository, release from
// the tag, lock owner from the run id), the generated manifest, every problem reported at once, and
// every secret handed to `mask` before anything could print it.
import { describe, expect, test } from '@jest/globals';
import { InputError, parseInputs } from '../../../../src/action/parse-inputs.js';
import { rolloutStageInputs } from '../../../../src/rollout/rollout-inputs.js';

const IMAGE = `registry.local/vision@sha256:${'b'.repeat(64)}`;
const RUN = {
  repository: 'acme/Vision-App',
  ref: 'refs/tags/v1.4.0',
  commit: 'abc',
  runId: '42',
  runUrl: 'https://x/runs/42',
};

function prepare(given: Record<string, string>, files: Record<string, string> = {}) {
  const masked: string[] = [];
  const prepared = rolloutStageInputs(
    parseInputs('rollout', (name) => given[name]),
    {
      run: RUN,
      mask: (secret) => masked.push(secret),
      readFile: (path) => {
        if (!(path in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
        return files[path]!;
      },
      env: { MODEL_PORT: '8080' },
    },
  );
  return { prepared, masked };
}

describe('defaults from the run', () => {
  test('app, release, model and lock owner', () => {
    const { prepared } = prepare({ 'iothub-host-name': 'hub.azure-devices.net', 'image-ref': IMAGE });
    expect(prepared.command).toBe('auto');
    expect(prepared.options).toMatchObject({
      app: 'Vision-App',
      release: '1.4.0',
      moduleName: 'model',
      runId: '42',
      keepReleases: 3,
      hubUnits: 1,
      firstRelease: false,
      imagePlatforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
      lineage: { commit: 'abc', modelName: 'vision-app', modelVersion: '1.4.0', runUrl: 'https://x/runs/42' },
    });
    expect(prepared.options.rings.rings.map((ring) => ring.name)).toEqual(['canary', 'pilot', 'fleet']);
    const twin = (prepared.options.content!.modulesContent as Record<string, Record<string, unknown>>).model!;
    expect(twin['properties.desired']).toEqual({
      model: { name: 'vision-app', version: '1.4.0', uri: 'azureml:vision-app:1.4.0' },
    });
    expect(prepared.connection).toEqual({
      hostName: 'hub.azure-devices.net',
      audience: 'api://AzureADTokenExchange',
      authorityHost: 'https://login.microsoftonline.com',
    });
  });

  test('promote, rollback and status need no manifest and no release', () => {
    const { prepared } = prepare({ command: 'status', 'iothub-host-name': 'hub' });
    expect(prepared.options.content).toBeUndefined();
  });
});

test('a template expands with the image, the environment and the env-file; rings come from a file', () => {
  const template = JSON.stringify({
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: { type: 'docker', settings: {} },
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
            model: {
              type: 'docker',
              status: 'running',
              restartPolicy: 'always',
              settings: { image: '${MODULES.model}' },
              env: { PORT: { value: '$MODEL_PORT' }, LEVEL: { value: '${LOG_LEVEL}' } },
            },
          },
        },
      },
      $edgeHub: {
        'properties.desired': {
          schemaVersion: '1.2',
          routes: {},
          storeAndForwardConfiguration: { timeToLiveSecs: 7200 },
        },
      },
    },
  });
  const { prepared } = prepare(
    {
      'iothub-host-name': 'hub',
      'image-ref': IMAGE,
      template: 'deploy/t.json',
      'env-file': '.env',
      rings: 'deploy/rings.yml',
    },
    {
      'deploy/t.json': template,
      '.env': 'LOG_LEVEL=debug\n',
      'deploy/rings.yml': 'rings:\n  - {name: lab, tag: ring=lab}\n',
    },
  );
  expect(JSON.stringify(prepared.options.content)).toContain(`"image":"${IMAGE}"`);
  expect(JSON.stringify(prepared.options.content)).toContain(
    '"PORT":{"value":"8080"},"LEVEL":{"value":"debug"}',
  );
  expect(prepared.options.rings.rings.map((ring) => ring.name)).toEqual(['lab']);
});

test('every problem at once, in one InputError', () => {
  let error: unknown;
  try {
    prepare({ release: 'v1.0.0', rings: 'rings: []', 'module-name': 'bad name', 'hub-units': '0' });
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(InputError);
  const inputs = (error as InputError).problems.map((p) => p.input);
  expect(inputs).toEqual(expect.arrayContaining(['rings', 'module-name', 'hub-units', 'iothub-host-name']));
});

test('secrets are masked as soon as they are read; github-deployments is left to the stage', () => {
  const { prepared, masked } = prepare({
    'iothub-connection-string': 'HostName=h;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0LWtleS12YWx1ZQ==',
    'image-ref': IMAGE,
    'device-registry-address': 'myacr.azurecr.io',
    'device-registry-username': 'puller',
    'device-registry-password': 'registry-password-123',
    'github-deployments': 'true',
  });
  expect(masked).toEqual(
    expect.arrayContaining([
      'registry-password-123',
      'HostName=h;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0LWtleS12YWx1ZQ==',
    ]),
  );
  expect(prepared.secrets).toContain('registry-password-123');
  expect(prepared.warnings.join(' ')).not.toMatch(/github-deployments/);
});
