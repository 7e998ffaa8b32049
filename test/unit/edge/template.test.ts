import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type DeploymentManifest,
  type JsonObject,
  ManifestError,
  expandTemplate,
  manifestProblems,
} from '../../../src/edge/index.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'edge');
const templateText = readFileSync(join(FIXTURES, 'model.template.json'), 'utf8');
const dotenvText = readFileSync(join(FIXTURES, 'model.env'), 'utf8');
const MODEL_IMAGE = `myacr.azurecr.io/model@sha256:${'a'.repeat(64)}`;
const CAMERA_IMAGE = `myacr.azurecr.io/camera@sha256:${'b'.repeat(64)}`;

function agentDesired(manifest: DeploymentManifest): JsonObject {
  return manifest.modulesContent['$edgeAgent']?.['properties.desired'] as JsonObject;
}
function moduleOf(manifest: DeploymentManifest, name: string): JsonObject {
  return (agentDesired(manifest)['modules'] as JsonObject)[name] as JsonObject;
}
function settingsOf(manifest: DeploymentManifest, name: string): JsonObject {
  return moduleOf(manifest, name)['settings'] as JsonObject;
}
/** A minimal template around one module's image and twin. */
function templateWith(image: string, extra: JsonObject = {}): JsonObject {
  return {
    modulesContent: {
      $edgeAgent: { 'properties.desired': { modules: { model: { settings: { image } } } } },
      ...extra,
    },
  };
}
function expandedImage(image: string, options: Parameters<typeof expandTemplate>[1]): string {
  const { manifest } = expandTemplate(templateWith(image), options);
  return settingsOf(manifest, 'model')['image'] as string;
}

describe('expandTemplate on an iotedgedev template with a .env file', () => {
  const { manifest, leftAsWritten } = expandTemplate(templateText, {
    modules: { model: MODEL_IMAGE, camera: { arm32v7: CAMERA_IMAGE, amd64: 'unused' } },
    env: { CONTAINER_REGISTRY_USERNAME: 'from-env', RELEASE_PREFIX: 'v' },
    dotenv: dotenvText,
  });

  test('fills ${MODULES.<name>} and ${MODULES.<name>.<platform>} from the module images', () => {
    expect(settingsOf(manifest, 'model')['image']).toBe(MODEL_IMAGE);
    expect(settingsOf(manifest, 'camera')['image']).toBe(CAMERA_IMAGE);
  });

  test('takes variables from .env, with the environment winning (python-dotenv override=False, as iotedgedev loads it)', () => {
    const runtime = agentDesired(manifest)['runtime'] as JsonObject;
    expect((runtime['settings'] as JsonObject)['registryCredentials']).toEqual({
      myacr: { address: 'myacr.azurecr.io', username: 'from-env', password: 'dotenv-password' },
    });
  });

  test('interpolates ${VAR} and ${VAR:-default} inside .env values, but not single-quoted ones', () => {
    expect(moduleOf(manifest, 'model')['version']).toBe('v1.4.0');
    expect(moduleOf(manifest, 'model')['env']).toEqual({
      LOG_LEVEL: { value: 'info' },
      GREETING: { value: '${NOT_INTERPOLATED}' },
    });
  });

  test('never expands the manifest format’s own $ words', () => {
    const routes = (manifest.modulesContent['$edgeHub']?.['properties.desired'] as JsonObject)['routes'];
    expect(routes).toEqual({
      modelToUpstream: 'FROM /messages/modules/model/outputs/* INTO $upstream',
      cameraToModel:
        'FROM /messages/* WHERE $connectionModuleId = \'camera\' INTO BrokeredEndpoint("/modules/model/inputs/frames")',
    });
    expect(Object.keys(manifest.modulesContent)).toEqual(['$edgeAgent', '$edgeHub', 'model']);
  });

  test('lists the variables nothing defined and leaves them as written', () => {
    expect(leftAsWritten).toEqual(['OWNER']);
    expect(manifest.modulesContent['model']).toEqual({
      'properties.desired': { threshold: 0.6, owner: '$OWNER' },
    });
  });

  test('removes $schema-template and stringifies createOptions objects', () => {
    expect(manifest).not.toHaveProperty(['$schema-template']);
    expect(settingsOf(manifest, 'model')['createOptions']).toBe(
      '{"HostConfig":{"Binds":["/var/models:/models"]}}',
    );
    const system = agentDesired(manifest)['systemModules'] as JsonObject;
    expect(((system['edgeAgent'] as JsonObject)['settings'] as JsonObject)['createOptions']).toBe('{}');
  });

  test('gives a manifest that validates', () => {
    expect(manifestProblems(manifest, { requireDigest: ['model', 'camera'] })).toEqual([]);
  });
});

describe('variables', () => {
  test('$VAR and ${VAR} both expand, in keys and values, inside longer text; reserved words only as the format spells them', () => {
    const { manifest } = expandTemplate(
      templateWith('$REGISTRY/model:${TAG}-amd64', { $TWIN: { 'properties.desired': {} } }),
      {
        env: { REGISTRY: 'myacr.azurecr.io', TAG: '1.4.0', TWIN: 'model' },
      },
    );
    expect(settingsOf(manifest, 'model')['image']).toBe('myacr.azurecr.io/model:1.4.0-amd64');
    expect(manifest.modulesContent).toHaveProperty('model');
  });

  test('a value with quotes and backslashes stays a string value (expansion happens inside the parsed JSON)', () => {
    const text = JSON.stringify({
      modulesContent: { model: { 'properties.desired': { secret: '$SECRET' } } },
    });
    const { manifest } = expandTemplate(text, { env: { SECRET: 'a"b\\c' } });
    expect(manifest.modulesContent['model']).toEqual({ 'properties.desired': { secret: 'a"b\\c' } });
  });

  test('$edgeAgent, $edgeHub, $upstream and friends are never expanded, even when the environment has them', () => {
    const env = {
      edgeAgent: 'X',
      edgeHub: 'X',
      upstream: 'X',
      schema: 'X',
      connectionDeviceId: 'X',
      iothub: 'X',
    };
    const template = templateWith('$upstream:443/azureiotedge-agent:1.5', {
      $edgeHub: {
        'properties.desired': { routes: { r: "FROM /* WHERE $connectionDeviceId = 'd' INTO $upstream" } },
      },
      model: { 'properties.desired': { topic: '$iothub/twin/res/#' } },
    });
    const { manifest, leftAsWritten } = expandTemplate({ $schema: 'x', ...template }, { env });
    expect(settingsOf(manifest, 'model')['image']).toBe('$upstream:443/azureiotedge-agent:1.5');
    expect(JSON.stringify(manifest)).not.toContain('X');
    expect(manifest).toHaveProperty(['$schema']);
    expect(leftAsWritten).toEqual([]);
  });

  test('unknown variables are listed once each, in order of appearance', () => {
    const template = templateWith('$A/$B:${A}', { model: { 'properties.desired': { c: '${C}', a: '$A' } } });
    expect(expandTemplate(template).leftAsWritten).toEqual(['A', 'B', 'C']);
  });

  test('an unresolved reference inside a .env value stays as written and is listed', () => {
    const { leftAsWritten } = expandTemplate(templateWith('$IMAGE'), { dotenv: 'IMAGE=${REGISTRY}/model:1' });
    expect(leftAsWritten).toEqual(['REGISTRY']);
    expect(expandedImage('$IMAGE', { dotenv: 'IMAGE=${REGISTRY}/model:1' })).toBe('${REGISTRY}/model:1');
  });

  test('a variable set to the empty string is found (as os.path.expandvars does)', () => {
    expect(expandTemplate(templateWith('r/m:1$SUFFIX'), { env: { SUFFIX: '' } })).toMatchObject({
      leftAsWritten: [],
    });
    expect(expandedImage('r/m:1$SUFFIX', { env: { SUFFIX: '' } })).toBe('r/m:1');
  });

  test('an env entry that is undefined falls through to .env', () => {
    expect(expandedImage('$IMAGE', { env: { IMAGE: undefined }, dotenv: 'IMAGE=from-file' })).toBe(
      'from-file',
    );
  });
});

describe('module placeholders', () => {
  test('one image for every platform: a multi-arch reference fills any platform placeholder', () => {
    expect(expandedImage('${MODULES.model.arm64v8}', { modules: { model: MODEL_IMAGE } })).toBe(MODEL_IMAGE);
  });

  test('per-platform images: the default platform fills ${MODULES.<name>}', () => {
    const modules = { model: { amd64: 'r/m:1-amd64', arm64v8: 'r/m:1-arm64v8' } };
    expect(expandedImage('${MODULES.model}', { modules, platform: 'arm64v8' })).toBe('r/m:1-arm64v8');
    expect(expandedImage('${MODULES.model.amd64}', { modules })).toBe('r/m:1-amd64');
    expect(expandedImage('${MODULES.model}', { modules: { model: { amd64: 'only' } } })).toBe('only');
  });

  test('platform names with dots (iotedgedev debug builds) are taken whole', () => {
    expect(
      expandedImage('${MODULES.model.amd64.debug}', { modules: { model: { 'amd64.debug': 'r/m:dbg' } } }),
    ).toBe('r/m:dbg');
  });

  test('every unresolved placeholder is reported at once, naming the known modules', () => {
    const template = templateWith('${MODULES.modle}', {
      other: { 'properties.desired': { image: '${MODULES.camera}' } },
    });
    try {
      expandTemplate(template, { modules: { model: MODEL_IMAGE, sensor: 'x' } });
      throw new Error('expected a ManifestError');
    } catch (error) {
      expect(error).toBeInstanceOf(ManifestError);
      expect((error as ManifestError).problems.map((p) => p.message)).toEqual([
        "unresolved module placeholder ${MODULES.modle}: no image for module 'modle' (known modules: model, sensor)",
        "unresolved module placeholder ${MODULES.camera}: no image for module 'camera' (known modules: model, sensor)",
      ]);
    }
  });
});

describe('template input', () => {
  test('text and parsed object give the same manifest, and the object is not changed', () => {
    const object = JSON.parse(templateText) as JsonObject;
    const before = structuredClone(object);
    const options = { modules: { model: MODEL_IMAGE, camera: CAMERA_IMAGE }, dotenv: dotenvText };
    expect(expandTemplate(object, options)).toEqual(expandTemplate(templateText, options));
    expect(object).toEqual(before);
  });

  test('a UTF-8 byte-order mark is accepted', () => {
    expect(() => expandTemplate(`\uFEFF${JSON.stringify(templateWith('r/m:1'))}`)).not.toThrow();
  });
});

describe('createOptions in templates', () => {
  const long = { Env: Array.from({ length: 60 }, (_, i) => `VARIABLE_${i}=value-${i}`) };
  const settingsFor = (createOptions: unknown, extra: JsonObject = {}): JsonObject => {
    const template = templateWith('r/m:1');
    const model = ((template['modulesContent'] as JsonObject)['$edgeAgent'] as JsonObject)[
      'properties.desired'
    ] as JsonObject;
    ((model['modules'] as JsonObject)['model'] as JsonObject)['settings'] = {
      image: 'r/m:1',
      createOptions,
      ...extra,
    } as JsonObject;
    return settingsOf(expandTemplate(template).manifest, 'model');
  };

  test('an object longer than a chunk is stringified and chunked; the chunks join to the compact JSON', () => {
    const settings = settingsFor(long);
    expect(Object.keys(settings)).toEqual(['image', 'createOptions', 'createOptions01', 'createOptions02']);
    expect(
      [settings['createOptions'], settings['createOptions01'], settings['createOptions02']].join(''),
    ).toBe(JSON.stringify(long));
  });

  test('a short string stays exactly as written; a long one is compacted, then chunked', () => {
    expect(settingsFor('{ "HostConfig": {} }')['createOptions']).toBe('{ "HostConfig": {} }');
    expect(settingsFor('')['createOptions']).toBe('');
    const settings = settingsFor(JSON.stringify(long, null, 2));
    expect(Object.keys(settings).filter((k) => k.startsWith('createOptions'))).toHaveLength(3);
  });

  test('createOptions already in chunks are left as written', () => {
    const settings = settingsFor('{"HostConfig":', { createOptions01: '{}}' });
    expect(settings).toEqual({ image: 'r/m:1', createOptions: '{"HostConfig":', createOptions01: '{}}' });
  });
});
