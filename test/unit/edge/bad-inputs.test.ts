// Bad templates, manifests and inputs: each must be reported at the right path, with the right words.
import { describe, expect, test } from '@jest/globals';
import {
  type DeploymentManifest,
  type JsonObject,
  ManifestError,
  type ManifestProblem,
  type ValidateManifestOptions,
  expandTemplate,
  generateLayeredManifest,
  generateManifest,
  manifestProblems,
  registryCredentials,
  validateManifest,
  withRegistryCredentials,
} from '../../../src/edge/index.js';

const IMAGE = `myacr.azurecr.io/model@sha256:${'d'.repeat(64)}`;
const MODULE = { name: 'model', image: IMAGE, model: { name: 'resnet', version: '7', uri: 'azureml://m/7' } };
const REGISTRY = { address: 'myacr.azurecr.io', username: 'puller', password: 'secret' };

const AGENT = "$.modulesContent.$edgeAgent['properties.desired']";
const MODEL = `${AGENT}.modules.model`;
const HUB = "$.modulesContent.$edgeHub['properties.desired']";
const LAYER_MODEL = "$.modulesContent.$edgeAgent['properties.desired.modules.model']";

/** A valid base manifest, changed by `change`. */
function base(
  change: (desired: { agent: JsonObject; hub: JsonObject; model: JsonObject; manifest: JsonObject }) => void,
) {
  const manifest = generateManifest({ module: MODULE }) as unknown as JsonObject;
  const modulesContent = manifest['modulesContent'] as JsonObject;
  const agent = (modulesContent['$edgeAgent'] as JsonObject)['properties.desired'] as JsonObject;
  const hub = (modulesContent['$edgeHub'] as JsonObject)['properties.desired'] as JsonObject;
  const model = (agent['modules'] as JsonObject)['model'] as JsonObject;
  change({ agent, hub, model, manifest });
  return manifest;
}
/** A valid layered manifest, changed by `change`. */
function layered(change: (modulesContent: JsonObject) => void) {
  const manifest = generateLayeredManifest({ module: MODULE }) as unknown as JsonObject;
  change(manifest['modulesContent'] as JsonObject);
  return manifest;
}
function settingsOf(model: JsonObject): JsonObject {
  return model['settings'] as JsonObject;
}
/** A template whose model module has `image` and `settings`. */
function template(settings: JsonObject): string {
  const manifest = base(({ model }) => Object.assign(settingsOf(model), settings));
  return JSON.stringify(manifest, null, 2);
}

type Case = {
  name: string;
  /** Throws ManifestError, or returns a manifest to validate. */
  run: () => unknown;
  options?: ValidateManifestOptions;
  path: string;
  message: string;
};

function problemsOf(testCase: Case): ManifestProblem[] {
  try {
    const manifest = testCase.run();
    validateManifest(manifest, testCase.options);
  } catch (error) {
    if (error instanceof ManifestError) return [...error.problems];
    throw error;
  }
  return [];
}

const BIG = 'x'.repeat(5000);

const CASES: Case[] = [
  // Templates
  {
    name: 'unresolved module placeholder',
    run: () => expandTemplate(template({ image: '${MODULES.classifier}' }), { modules: { model: IMAGE } }),
    path: `${MODEL}.settings.image`,
    message:
      "unresolved module placeholder ${MODULES.classifier}: no image for module 'classifier' (known modules: model)",
  },
  {
    name: 'module placeholder with no module images at all',
    run: () => expandTemplate(template({ image: '${MODULES.model.amd64}' })),
    path: `${MODEL}.settings.image`,
    message: 'no module images were given',
  },
  {
    name: 'per-platform images without the platform asked for',
    run: () =>
      expandTemplate(template({ image: '${MODULES.model.arm32v7}' }), {
        modules: { model: { amd64: IMAGE } },
      }),
    path: `${MODEL}.settings.image`,
    message: "module 'model' has no image for platform 'arm32v7' (it has amd64)",
  },
  {
    name: 'per-platform images and no default platform',
    run: () =>
      expandTemplate(template({ image: '${MODULES.model}' }), {
        modules: { model: { amd64: IMAGE, arm64v8: IMAGE } },
      }),
    path: `${MODEL}.settings.image`,
    message: "module 'model' has images for amd64, arm64v8; pass the default platform",
  },
  {
    name: 'iotedgedev module folder placeholder',
    run: () =>
      expandTemplate(template({ image: '${MODULEDIR<./modules/model>.amd64}' }), {
        modules: { model: IMAGE },
      }),
    path: `${MODEL}.settings.image`,
    message: 'module folder placeholders are iotedgedev build references',
  },
  {
    name: 'invalid JSON: trailing comma, with line and column',
    run: () => expandTemplate('{\n  "modulesContent": {},\n}', { file: 'deployment.template.json' }),
    path: '$',
    message: 'deployment.template.json is not valid JSON at line 3, column 1',
  },
  {
    name: 'invalid JSON: a // comment',
    run: () => expandTemplate('{\n  // the manifest\n  "modulesContent": {}\n}'),
    path: '$',
    message: 'is not valid JSON at line 2, column 3',
  },
  {
    name: 'invalid JSON: single-quoted strings',
    run: () => expandTemplate("{\n  'modulesContent': {}\n}"),
    path: '$',
    message: 'is not valid JSON at line 2, column 3',
  },
  {
    name: 'invalid JSON: an unquoted variable',
    run: () => expandTemplate('{"modulesContent": {"m": {"properties.desired": {"ttl": $TTL}}}}'),
    path: '$',
    message: 'is not valid JSON at line 1, column 57',
  },
  {
    name: 'invalid JSON: cut short',
    run: () => expandTemplate('{\n  "modulesContent": {'),
    path: '$',
    message: 'is not valid JSON at line 2, column 22',
  },
  {
    name: 'template without modulesContent',
    run: () => expandTemplate({ modules: {} }),
    path: '$.modulesContent',
    message: "the 'modulesContent' object is missing",
  },
  {
    name: 'template with the old moduleContent name',
    run: () => expandTemplate({ moduleContent: {} }),
    path: '$.moduleContent',
    message: "'moduleContent' is the old name of 'modulesContent'",
  },
  {
    name: 'template wrapped in content',
    run: () => expandTemplate({ content: { modulesContent: {} } }),
    path: '$.content',
    message: 'found content.modulesContent',
  },
  {
    name: 'template that is not an object',
    run: () => expandTemplate('[]'),
    path: '$',
    message: 'a deployment template must be a JSON object',
  },
  {
    name: 'createOptions too long in a template',
    run: () => expandTemplate(template({ createOptions: { Cmd: [BIG] } })),
    path: `${MODEL}.settings.createOptions`,
    message: 'createOptions is 5012 characters long after compacting; the limit is 4096 (8 chunks of 512)',
  },
  // Generation inputs
  {
    name: 'createOptions too long when generating',
    run: () => generateManifest({ module: { ...MODULE, createOptions: { Cmd: [BIG] } } }),
    path: `${MODEL}.settings.createOptions`,
    message: 'createOptions is 5012 characters long after compacting; the limit is 4096 (8 chunks of 512)',
  },
  {
    name: 'createOptions string that is not JSON',
    run: () => generateManifest({ module: { ...MODULE, createOptions: '{"HostConfig": {' } }),
    path: `${MODEL}.settings.createOptions`,
    message: 'createOptions must be the JSON text of an object; it does not parse',
  },
  {
    name: 'extra twin properties that try to set model',
    run: () => generateManifest({ module: { ...MODULE, twin: { model: 'other' } } }),
    path: '$.module.twin.model',
    message: "the module twin's 'model' property is written by the engine",
  },
  {
    name: 'registry address with a scheme',
    run: () => registryCredentials([{ ...REGISTRY, address: 'https://myacr.azurecr.io' }]),
    path: '$.registries[0].address',
    message:
      "the registry address must be a host name with an optional port, found 'https://myacr.azurecr.io'",
  },
  {
    name: 'registry without a password',
    run: () => generateManifest({ module: MODULE, registries: [{ ...REGISTRY, password: '' }] }),
    path: '$.registries[0].password',
    message: "the password for registry 'myacr.azurecr.io' is missing",
  },
  {
    name: 'bad registry credential name given',
    run: () => registryCredentials([{ ...REGISTRY, name: 'my.acr' }]),
    path: '$.registries[0].name',
    message: "the registry credential name 'my.acr' is invalid",
  },
  {
    name: 'two registries with the same credential name',
    run: () => registryCredentials([REGISTRY, { ...REGISTRY, address: 'myacr.azurecr.cn' }]),
    path: '$.registries[1].name',
    message: "two registries get the credential name 'myacr' (myacr.azurecr.io and myacr.azurecr.cn)",
  },
  {
    name: 'credential name already used for another registry',
    run: () =>
      withRegistryCredentials(generateManifest({ module: MODULE, registries: [REGISTRY] }), [
        { ...REGISTRY, address: 'myacr.example.com' },
      ]),
    path: `${AGENT}.runtime.settings.registryCredentials.myacr`,
    message: "the credential name 'myacr' is already used for 'myacr.azurecr.io', not myacr.example.com",
  },
  {
    name: 'registry credentials for a manifest without a runtime section',
    run: () =>
      withRegistryCredentials(base(({ agent }) => delete agent['runtime']) as unknown as DeploymentManifest, [
        REGISTRY,
      ]),
    path: `${AGENT}.runtime`,
    message: 'the $edgeAgent runtime section is missing, so there is nowhere to put registry credentials',
  },
  // Base manifests
  {
    name: 'bad module name',
    run: () => base(({ agent, model }) => ((agent['modules'] as JsonObject)['model.v2'] = model)),
    path: `${AGENT}.modules['model.v2']`,
    message: "the module name 'model.v2' is invalid: it must match ^[a-zA-Z0-9_-]+$",
  },
  {
    name: 'custom module named like a system module',
    run: () => base(({ agent, model }) => ((agent['modules'] as JsonObject)['edgeHub'] = model)),
    path: `${AGENT}.modules.edgeHub`,
    message: "'edgeHub' is a system module name and cannot be a custom module",
  },
  {
    name: 'missing image',
    run: () => base(({ model }) => delete settingsOf(model)['image']),
    path: `${MODEL}.settings.image`,
    message: "'image' is required here but missing",
  },
  {
    name: 'empty image',
    run: () => base(({ model }) => (settingsOf(model)['image'] = '')),
    path: `${MODEL}.settings.image`,
    message: 'the module image is empty',
  },
  {
    name: 'image with whitespace',
    run: () => base(({ model }) => (settingsOf(model)['image'] = 'myacr.azurecr.io/model :1')),
    path: `${MODEL}.settings.image`,
    message: "the image 'myacr.azurecr.io/model :1' contains whitespace",
  },
  {
    name: 'image still holding a variable',
    run: () => base(({ model }) => (settingsOf(model)['image'] = '$CONTAINER_REGISTRY_SERVER/model:1')),
    path: `${MODEL}.settings.image`,
    message: 'still holds the placeholder(s) CONTAINER_REGISTRY_SERVER',
  },
  {
    name: 'image not pinned by digest when that is required',
    run: () => base(({ model }) => (settingsOf(model)['image'] = 'myacr.azurecr.io/model:1.4.0')),
    options: { requireDigest: true },
    path: `${MODEL}.settings.image`,
    message: "the image 'myacr.azurecr.io/model:1.4.0' must be pinned by digest",
  },
  {
    name: 'digest required for a module that is not there',
    run: () => base(() => undefined),
    options: { requireDigest: ['classifier'] },
    path: '$.modulesContent',
    message: "there is no module 'classifier' whose image must be pinned by digest",
  },
  {
    name: 'invalid restartPolicy',
    run: () => base(({ model }) => (model['restartPolicy'] = 'sometimes')),
    path: `${MODEL}.restartPolicy`,
    message: 'must be one of never, on-failure, on-unhealthy, always, found string "sometimes"',
  },
  {
    name: 'invalid status',
    run: () => base(({ model }) => (model['status'] = 'paused')),
    path: `${MODEL}.status`,
    message: 'must be one of running, stopped, found string "paused"',
  },
  {
    name: 'invalid imagePullPolicy',
    run: () => base(({ model }) => (model['imagePullPolicy'] = 'always')),
    path: `${MODEL}.imagePullPolicy`,
    message: 'must be one of never, on-create',
  },
  {
    name: 'negative startupOrder',
    run: () => base(({ model }) => (model['startupOrder'] = -1)),
    path: `${MODEL}.startupOrder`,
    message: 'must be >= 0, found number -1',
  },
  {
    name: 'unknown module property',
    run: () => base(({ model }) => (model['restartpolicy'] = 'always')),
    path: `${MODEL}.restartpolicy`,
    message:
      "'restartpolicy' is not allowed here (allowed: version, type, status, restartPolicy, env, settings",
  },
  {
    name: 'createOptions left as an object in a manifest',
    run: () => base(({ model }) => (settingsOf(model)['createOptions'] = { HostConfig: {} })),
    path: `${MODEL}.settings.createOptions`,
    message: 'must be string, found an object',
  },
  {
    name: 'duplicate createOptions chunks',
    run: () =>
      base(({ model }) => Object.assign(settingsOf(model), { createOptions: '{}', createoptions: '{}' })),
    path: `${MODEL}.settings.createoptions`,
    message: "duplicate createOptions chunk: 'createOptions' and 'createoptions' are both chunk 0",
  },
  {
    name: 'createOptions chunks with a gap',
    run: () =>
      base(({ model }) =>
        Object.assign(settingsOf(model), { createOptions: '{"A":', createOptions02: '1}' }),
      ),
    path: `${MODEL}.settings.createOptions02`,
    message: "expected 'createOptions01', found 'createOptions02'",
  },
  {
    name: 'createOptions chunks that join to invalid JSON',
    run: () =>
      base(({ model }) => Object.assign(settingsOf(model), { createOptions: '{"A":', createOptions01: '1' })),
    path: `${MODEL}.settings.createOptions`,
    message: 'createOptions must be the JSON text of an object; it does not parse',
  },
  {
    name: 'bad registry credential name in a manifest',
    run: () =>
      base(
        ({ agent }) =>
          ((agent['runtime'] as JsonObject)['settings'] = { registryCredentials: { 'my.acr': REGISTRY } }),
      ),
    path: `${AGENT}.runtime.settings.registryCredentials['my.acr']`,
    message: "the registry credential name 'my.acr' is invalid: it must match ^[^\\.\\$# ]+$",
  },
  {
    name: 'registry password still a variable',
    run: () =>
      base(
        ({ agent }) =>
          ((agent['runtime'] as JsonObject)['settings'] = {
            registryCredentials: { myacr: { ...REGISTRY, password: '$CONTAINER_REGISTRY_PASSWORD' } },
          }),
      ),
    path: `${AGENT}.runtime.settings.registryCredentials.myacr.password`,
    message: 'the registry password still holds the variable(s) CONTAINER_REGISTRY_PASSWORD',
  },
  {
    name: 'missing $edgeHub in a base manifest',
    run: () => base(({ manifest }) => delete (manifest['modulesContent'] as JsonObject)['$edgeHub']),
    path: '$.modulesContent.$edgeHub',
    message: '$edgeHub is missing: a base (non-layered) deployment needs both $edgeAgent and $edgeHub',
  },
  {
    name: 'unsupported edgeAgent schemaVersion',
    run: () => base(({ agent }) => (agent['schemaVersion'] = '2.0')),
    path: `${AGENT}.schemaVersion`,
    message: '$edgeAgent schemaVersion must be one of 1.0, 1.1, found "2.0"',
  },
  {
    name: 'mqttBroker with edgeHub schemaVersion 1.1',
    run: () => base(({ hub }) => Object.assign(hub, { schemaVersion: '1.1', mqttBroker: {} })),
    path: `${HUB}.mqttBroker`,
    message: "'mqttBroker' is not allowed here",
  },
  {
    name: 'route text without FROM … INTO',
    run: () => base(({ hub }) => (hub['routes'] = { up: 'SEND /messages/* TO $upstream' })),
    path: `${HUB}.routes.up`,
    message:
      "a route reads FROM <source> [WHERE <condition>] INTO <sink>, found 'SEND /messages/* TO $upstream'",
  },
  {
    name: 'route priority out of range',
    run: () => base(({ hub }) => (hub['routes'] = { up: { route: 'FROM /* INTO $upstream', priority: 12 } })),
    path: `${HUB}.routes.up`,
    message:
      'a route must be the route text ("FROM … INTO …") or an object {route, priority 0-9, timeToLiveSecs}',
  },
  {
    name: 'bad module twin name',
    run: () =>
      base(
        ({ manifest }) =>
          ((manifest['modulesContent'] as JsonObject)['my twin'] = { 'properties.desired': {} }),
      ),
    path: "$.modulesContent['my twin']",
    message: "the module twin name 'my twin' is invalid",
  },
  {
    name: 'template metadata left in a manifest',
    run: () => base(({ manifest }) => (manifest['$schema-template'] = '4.0.0')),
    path: "$['$schema-template']",
    message: "'$schema-template' is not allowed here (allowed: modulesContent)",
  },
  {
    name: 'twin property value over 4 KB',
    run: () =>
      base(
        ({ manifest }) =>
          ((manifest['modulesContent'] as JsonObject)['model'] = { 'properties.desired': { labels: BIG } }),
      ),
    path: "$.modulesContent.model['properties.desired'].labels",
    message: 'this twin property value is 5000 bytes; a twin string value holds at most 4096 bytes (4 KB)',
  },
  {
    name: 'desired properties over 32 KB',
    run: () =>
      base(({ manifest }) => {
        const desired = Object.fromEntries(
          Array.from({ length: 8 }, (_, i) => [`part${i}`, 'y'.repeat(4096)]),
        );
        (manifest['modulesContent'] as JsonObject)['model'] = { 'properties.desired': desired };
      }),
    path: '$.modulesContent.model',
    message:
      "the desired properties of model are 32857 bytes; a twin's desired properties hold at most 32768 bytes (32 KB)",
  },
  {
    name: 'twin property name with a dot',
    run: () =>
      base(
        ({ manifest }) =>
          ((manifest['modulesContent'] as JsonObject)['model'] = { 'properties.desired': { 'a.b': 1 } }),
      ),
    path: "$.modulesContent.model['properties.desired']['a.b']",
    message: "the twin property name 'a.b' holds '.', '$', a space or a control character",
  },
  {
    name: 'twin nested deeper than 10',
    run: () =>
      base(({ manifest }) => {
        let deep: JsonObject = { leaf: 1 };
        for (let i = 0; i < 11; i++) deep = { [`level${i}`]: deep };
        (manifest['modulesContent'] as JsonObject)['model'] = { 'properties.desired': deep };
      }),
    path: "$.modulesContent.model['properties.desired'].level10.level9.level8.level7.level6.level5.level4.level3.level2.level1.level0",
    message: 'objects are nested 11 deep here; twin desired properties allow at most 10',
  },
  {
    name: 'integer beyond the twin range',
    run: () =>
      base(
        ({ manifest }) =>
          ((manifest['modulesContent'] as JsonObject)['model'] = { 'properties.desired': { n: 2 ** 53 } }),
      ),
    path: "$.modulesContent.model['properties.desired'].n",
    message: 'the integer 9007199254740992 is outside the twin range',
  },
  {
    name: 'over 50 modules',
    run: () =>
      base(({ agent, model }) => {
        for (let i = 0; i < 50; i++) (agent['modules'] as JsonObject)[`extra${i}`] = model;
      }),
    path: `${AGENT}.modules`,
    message: 'the deployment has 51 modules; IoT Hub allows at most 50 per deployment',
  },
  {
    name: 'not a manifest at all',
    run: () => ({ content: {} }),
    path: '$.modulesContent',
    message: 'a deployment manifest is an object with a modulesContent object',
  },
  // Layered manifests
  {
    name: 'system modules inside a layered manifest',
    run: () =>
      layered(
        (mc) =>
          ((mc['$edgeAgent'] as JsonObject)['properties.desired.systemModules.edgeHub'] = { type: 'docker' }),
      ),
    path: "$.modulesContent.$edgeAgent['properties.desired.systemModules.edgeHub']",
    message: 'a layered deployment must not contain the system modules edgeAgent and edgeHub',
  },
  {
    name: 'whole $edgeAgent desired properties in a layered manifest',
    run: () => layered((mc) => ((mc['$edgeAgent'] as JsonObject)['properties.desired'] = {})),
    path: "$.modulesContent.$edgeAgent['properties.desired']",
    message: 'a layered deployment cannot set the whole $edgeAgent desired properties',
  },
  {
    name: 'layered module path below a module',
    run: () =>
      layered(
        (mc) =>
          ((mc['$edgeAgent'] as JsonObject)['properties.desired.modules.model.settings'] = { image: IMAGE }),
      ),
    path: "$.modulesContent.$edgeAgent['properties.desired.modules.model.settings']",
    message: "a layered key must name one whole module; 'model.settings' is not a module name",
  },
  {
    name: 'invalid status in a layered module',
    run: () =>
      layered(
        (mc) =>
          (((mc['$edgeAgent'] as JsonObject)['properties.desired.modules.model'] as JsonObject)['status'] =
            'on'),
      ),
    path: `${LAYER_MODEL}.status`,
    message: 'must be one of running, stopped, found string "on"',
  },
  {
    name: 'missing image in a layered module',
    run: () =>
      layered(
        (mc) =>
          delete ((mc['$edgeAgent'] as JsonObject)['properties.desired.modules.model'] as JsonObject)[
            'settings'
          ],
      ),
    path: `${LAYER_MODEL}.settings`,
    message: "'settings' is required here but missing",
  },
  {
    name: 'layered manifest replacing $edgeHub desired properties',
    run: () =>
      layered((mc) => (mc['$edgeHub'] = { 'properties.desired': { schemaVersion: '1.2', routes: {} } })),
    path: "$.modulesContent.$edgeHub['properties.desired']",
    message: "a layered deployment can only add routes to $edgeHub ('properties.desired' would replace",
  },
  {
    name: 'layered route that is not a route',
    run: () => layered((mc) => (mc['$edgeHub'] = { 'properties.desired.routes.up': 42 })),
    path: "$.modulesContent.$edgeHub['properties.desired.routes.up']",
    message: 'a route must be the route text',
  },
  {
    name: 'layered twin with a key that is not desired properties',
    run: () => layered((mc) => ((mc['model'] as JsonObject)['tags'] = {})),
    path: '$.modulesContent.model.tags',
    message: "a module twin only takes 'properties.desired' or 'properties.desired.<path>'",
  },
  {
    name: 'layered registry credential without a password',
    run: () =>
      layered(
        (mc) =>
          ((mc['$edgeAgent'] as JsonObject)['properties.desired.runtime.settings.registryCredentials.myacr'] =
            {
              address: 'myacr.azurecr.io',
              username: 'u',
            }),
      ),
    path: "$.modulesContent.$edgeAgent['properties.desired.runtime.settings.registryCredentials.myacr'].password",
    message: "'password' is required here but missing",
  },
];

describe('bad templates, manifests and inputs', () => {
  test('the table is long enough', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  test.each(CASES)('$name', (testCase) => {
    expect(problemsOf(testCase)).toContainEqual({
      path: testCase.path,
      message: expect.stringContaining(testCase.message),
      fix: expect.stringMatching(/\S/),
    });
  });
});

describe('ManifestError', () => {
  test('carries every problem and lists them in its message, with the fix', () => {
    const manifest = base(({ model }) =>
      Object.assign(model, { status: 'paused', restartPolicy: 'sometimes' }),
    );
    expect(() => validateManifest(manifest)).toThrow(ManifestError);
    const error = (() => {
      try {
        validateManifest(manifest);
      } catch (caught) {
        return caught as ManifestError;
      }
      throw new Error('expected a ManifestError');
    })();
    expect(error.problems).toHaveLength(2);
    expect(error.message.split('\n')).toEqual([
      'The deployment manifest is not valid (2 problems):',
      `- ${MODEL}.status: must be one of running, stopped, found string "paused". Fix: set it to one of running, stopped`,
      `- ${MODEL}.restartPolicy: must be one of never, on-failure, on-unhealthy, always, found string "sometimes". ` +
        'Fix: set it to one of never, on-failure, on-unhealthy, always',
    ]);
  });

  test('comments in a template say so in the fix', () => {
    const [found] = problemsOf({ name: '', run: () => expandTemplate('{ /* c */ }'), path: '', message: '' });
    expect(found?.fix).toBe('comments are not allowed: iotedgedev reads templates as strict JSON');
  });

  test.each([
    ['{"a": 1,}', 'remove the trailing comma'],
    ["{'a': 1}", 'strings and names must be double-quoted'],
    ['{"a": $A}', 'a variable outside a string must be quoted, e.g. "$NAME"'],
    ['{"a": tru}', 'fix the JSON syntax there'],
  ])('%s: %s', (text, fix) => {
    const [found] = problemsOf({ name: '', run: () => expandTemplate(text), path: '', message: '' });
    expect(found?.fix).toBe(fix);
  });

  test('validation is fast once the schemas are compiled', () => {
    const manifest = generateManifest({ module: MODULE }) as DeploymentManifest;
    manifestProblems(manifest);
    const started = performance.now();
    for (let i = 0; i < 200; i++) manifestProblems(manifest);
    expect((performance.now() - started) / 200).toBeLessThan(5);
  });
});
