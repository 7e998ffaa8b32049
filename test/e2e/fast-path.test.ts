// Model-only releases by the model-layer path, on the real engine and registry: the first release
// builds the environment image (everything but the model) once with buildx and appends the model;
// later releases that change only the model append one layer with no Docker at all. The appended
// image is pulled and run for every architecture, its layers are read back from the registry, and
// the same model gives a byte-identical index. A forced model-layer that cannot apply is refused
// before anything is written.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/action/parse-inputs.js';
import type { BuildImageResult } from '../../src/image/build-image.js';
import type { RegistryClient } from '../../src/image/registry-client.js';
import { readPushedImage } from '../../src/image/verify.js';
import {
  docker,
  e2e,
  fixtureCopy,
  fixtureInputs,
  freshRepository,
  login,
  MACHINES,
  PLATFORMS,
  recordingSystem,
  registryClient,
  registryLogSize,
  registryWrites,
  runImage,
  runStage,
} from './support.js';

const RUN = {
  ref: 'refs/tags/v2.0.0',
  commit: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b',
  repository: 'contoso/edge-models',
};
function writeModel(project: string, version: string, threshold: number): void {
  writeFileSync(
    join(project, 'model', 'model.json'),
    JSON.stringify({ name: 'vibration-threshold', version, threshold }) + '\n',
  );
}

/** Each platform's layer digests, by platform. */
async function layersByPlatform(client: RegistryClient, repository: string, digest: string) {
  const image = await readPushedImage(client, repository, digest);
  const layers: Record<string, string[]> = {};
  for (const entry of image.manifests) {
    const manifest = await client.getManifest(repository, entry.digest);
    layers[entry.platform] = (manifest.json.layers ?? []).map((layer) => layer.digest);
  }
  return layers;
}

async function release(repository: string, project: string, extra: Record<string, string> = {}) {
  const system = recordingSystem();
  const run = await runStage(
    fixtureInputs(repository, {
      context: project,
      'model-path': join(project, 'model'),
      'model-name': 'vibration-threshold',
      ...extra,
    }),
    { run: RUN, system },
  );
  if (run.result instanceof Error) throw new Error(`${run.result.message}\n${run.log.slice(-25).join('\n')}`);
  return { ...run, result: run.result, commands: system.commands };
}

describe('model-only releases: append one layer', () => {
  const repository = freshRepository('fast');
  const project = fixtureCopy();
  let first: Awaited<ReturnType<typeof release>>;
  let second: Awaited<ReturnType<typeof release>>;
  let third: Awaited<ReturnType<typeof release>>;
  let environmentTag: string;

  beforeAll(async () => {
    writeModel(project, '2', 0.9);
    first = await release(repository, project);
    environmentTag = /environment image (env-[0-9a-f]{16})/.exec(first.log.join('\n'))![1]!;
    second = await release(repository, project);
    writeModel(project, '3', 0.6);
    third = await release(repository, project, { tags: 'v3' });
    login();
  }, 900_000);
  afterAll(() => {
    docker(['logout', e2e().registry]);
  });

  test('the first release builds the environment image once, then appends the model', () => {
    expect(first.result).toMatchObject({
      strategy: 'model-layer',
      strategyReason: 'model-layer: Dockerfile copies model/ last to /app/www/model',
      platforms: [...PLATFORMS],
      pushed: true,
      fastPath: { environmentBuilt: true },
    });
    expect(first.commands.some((c) => c[1] === 'buildx' && c[2] === 'build')).toBe(true);
    expect(first.log.join('\n')).toContain(`is not in ${e2e().registry}/${repository}: building it once`);
    console.log(`first release (environment build + append): ${first.seconds.toFixed(1)} s`);
  });

  test('a second release of the same model reuses the environment with no Docker call, byte for byte the same', () => {
    expect(second.commands).toEqual([]);
    expect(second.log).toContain(`environment image ${environmentTag} reused: no Docker build`);
    expect(second.result.digest).toBe(first.result.digest);
    expect(second.result.fastPath).toMatchObject({ environmentBuilt: false });
    console.log(`model-only release, same model: ${second.seconds.toFixed(2)} s`);
  });

  test('a changed model: new digest, environment reused, still no Docker', () => {
    expect(third.commands).toEqual([]);
    expect(third.result.digest).not.toBe(first.result.digest);
    expect(third.result.tags).toEqual([`${e2e().registry}/${repository}:v3`]);
    console.log(`model-only release, new model: ${third.seconds.toFixed(2)} s`);
  });

  test('the registry shows exactly one new layer per platform, one blob shared by all three', async () => {
    const client = registryClient();
    const environmentDigest = (await client.resolve(repository, environmentTag))!;
    const environment = await layersByPlatform(client, repository, environmentDigest);
    for (const result of [first.result, third.result]) {
      const appended = await layersByPlatform(client, repository, result.digest);
      expect(Object.keys(appended).sort()).toEqual([...PLATFORMS].sort());
      const added = PLATFORMS.map((platform) => {
        expect(appended[platform]!.slice(0, -1)).toEqual(environment[platform]);
        return appended[platform]!.at(-1)!;
      });
      expect(new Set(added).size).toBe(1);
      expect(added[0]).toBe(result.fastPath!.layerDigest);
    }
  });

  test('the release image says which model it holds', async () => {
    const client = registryClient();
    const image = await readPushedImage(client, repository, third.result.digest);
    const manifest = await client.getManifest(repository, image.manifests[0]!.digest);
    const config = JSON.parse(
      (await client.getBlob(repository, manifest.json.config!.digest)).toString(),
    ) as {
      config: { Labels: Record<string, string> };
    };
    expect(config.config.Labels).toMatchObject({
      'ml-to-iot-edge.model.name': 'vibration-threshold',
      'ml-to-iot-edge.model.hash': third.result.fastPath!.modelHash,
      'org.opencontainers.image.version': '2.0.0',
    });
    expect(config.config.Labels).not.toHaveProperty('org.opencontainers.image.created');
  });

  const serves = (result: () => BuildImageResult, version: string, threshold: number) =>
    test.each(PLATFORMS)(`runs on %s and serves model version ${version}`, (platform) => {
      const { machine, score, model } = runImage(result().imageRef, platform);
      expect(machine).toBe(MACHINES[platform]);
      expect(score).toEqual({
        model: 'vibration-threshold',
        version,
        arch: MACHINES[platform],
        x: 0.7,
        positive: 0.7 > threshold,
      });
      expect(model).toEqual({ name: 'vibration-threshold', version, threshold });
    });
  serves(() => first.result, '2', 0.9);
  serves(() => third.result, '3', 0.6);
});

describe('a forced model-layer that cannot apply', () => {
  test('a RUN after the model COPY is refused before any registry write and any Docker call', async () => {
    const repository = freshRepository('refused');
    const project = fixtureCopy();
    appendFileSync(join(project, 'Dockerfile'), 'RUN chmod -R a+r /app/www/model\n');
    const offset = registryLogSize();
    const system = recordingSystem();
    const run = await runStage(
      fixtureInputs(repository, {
        context: project,
        'model-path': join(project, 'model'),
        strategy: 'model-layer',
      }),
      { run: RUN, system },
    );
    expect(run.result).toBeInstanceOf(InputError);
    expect((run.result as InputError).problems).toEqual([
      {
        input: 'strategy',
        message: expect.stringMatching(
          /^RUN after the model COPY at line 19: strategy model-layer cannot apply\. How to fix: /,
        ),
      },
    ]);
    expect(system.commands).toEqual([]);
    expect(registryWrites(repository, offset)).toEqual([]);
  });

  test('auto takes the full path for the same Dockerfile and says why', async () => {
    const repository = freshRepository('auto-full');
    const project = fixtureCopy();
    appendFileSync(join(project, 'Dockerfile'), 'RUN chmod -R a+r /app/www/model\n');
    const run = await release(repository, project, { platforms: 'linux/amd64' });
    expect(run.result).toMatchObject({
      strategy: 'full',
      strategyReason: 'full: RUN after the model COPY at line 19',
    });
  }, 600_000);
});
