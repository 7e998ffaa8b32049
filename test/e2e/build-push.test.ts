// The example model project built for linux/amd64, linux/arm64 and linux/arm/v7 with the real
// engine, buildx and QEMU, pushed to the registry with TLS and basic auth, its index read back, and
// the image run for each architecture. Then the distributed way: one job per platform pushing by
// digest, and a merge job joining them into one index.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { BuildImageResult } from '../../src/image/build-image.js';
import { isIndex } from '../../src/image/registry-client.js';
import { readPushedImage } from '../../src/image/verify.js';
import {
  docker,
  e2e,
  fixtureInputs,
  freshRepository,
  login,
  MACHINES,
  PLATFORMS,
  registryClient,
  runImage,
  runStage,
} from './support.js';

const SHA = '4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c';
const RUN = {
  ref: 'refs/tags/v1.4.0',
  commit: SHA,
  repository: 'contoso/edge-models',
  runUrl: 'https://github.com/contoso/edge-models/actions/runs/77',
};
describe('a three-platform build of the example model project', () => {
  const repository = freshRepository('model');
  let result: BuildImageResult;
  let seconds = 0;

  beforeAll(async () => {
    const run = await runStage(fixtureInputs(repository, { latest: 'true' }), { run: RUN });
    if (run.result instanceof Error)
      throw new Error(`${run.result.message}\n${run.log.slice(-20).join('\n')}`);
    result = run.result;
    seconds = run.seconds;
    login();
  });
  afterAll(() => {
    docker(['logout', e2e().registry]);
  });

  test('is pushed with its digest, tags and platforms as outputs', () => {
    const image = `${e2e().registry}/${repository}`;
    expect(result).toMatchObject({
      image,
      imageRef: `${image}@${result.digest}`,
      tags: ['1.4.0', '1.4', '1', 'sha-4f1c2d3', 'latest'].map((tag) => `${image}:${tag}`),
      platforms: [...PLATFORMS],
      pushed: true,
      attestations: 0,
    });
    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    console.log(`three-platform build and push: ${seconds.toFixed(1)} s`);
  });

  test('the registry holds an index with exactly the three platforms, every tag on it', async () => {
    const client = registryClient();
    const index = await client.getManifest(repository, '1.4.0');
    expect(index.digest).toBe(result.digest);
    expect(isIndex(index)).toBe(true);
    const pushed = await readPushedImage(client, repository, result.digest);
    expect(pushed.platforms.sort()).toEqual([...PLATFORMS].sort());
    for (const tag of ['1.4', '1', 'latest', 'sha-4f1c2d3'])
      expect(await client.resolve(repository, tag)).toBe(result.digest);
  });

  test('each platform image carries the OCI labels', async () => {
    const client = registryClient();
    const pushed = await readPushedImage(client, repository, result.digest);
    const arm = pushed.manifests.find((m) => m.platform === 'linux/arm/v7')!;
    const manifest = await client.getManifest(repository, arm.digest);
    const config = JSON.parse(
      (await client.getBlob(repository, manifest.json.config!.digest)).toString(),
    ) as {
      architecture: string;
      variant?: string;
      config: { Labels: Record<string, string> };
    };
    expect(config).toMatchObject({ architecture: 'arm', variant: 'v7' });
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.source': 'https://github.com/contoso/edge-models',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.version': '1.4.0',
      'org.opencontainers.image.title': repository,
    });
  });

  test.each(PLATFORMS)('runs on %s: the right machine, and it serves the model', (platform) => {
    const { machine, score, model } = runImage(result.imageRef, platform);
    expect(machine).toBe(MACHINES[platform]);
    expect(score).toEqual({
      model: 'vibration-threshold',
      version: '1',
      arch: MACHINES[platform],
      x: 0.7,
      positive: true,
    });
    expect(model).toMatchObject({ name: 'vibration-threshold', threshold: 0.5 });
  });
});

describe('distributed build: per-platform jobs, then a merge', () => {
  const repository = freshRepository('matrix');

  test('three per-platform pushes by digest are joined into one index', async () => {
    const digests: string[] = [];
    for (const platform of PLATFORMS) {
      const run = await runStage(
        fixtureInputs(repository, { 'build-mode': 'per-platform', platforms: platform }),
        { run: { commit: SHA } },
      );
      if (run.result instanceof Error) throw run.result;
      // The docker driver cannot push by digest: a staging tag (a docker-container builder pushes none).
      expect(run.result).toMatchObject({
        tags: [`${e2e().registry}/${repository}:build-${platform.replace(/\//g, '-')}-4f1c2d3`],
        platforms: [platform],
      });
      digests.push(run.result.digest);
    }
    expect(new Set(digests).size).toBe(3);
    const merge = await runStage(
      fixtureInputs(repository, { 'build-mode': 'merge', digests: digests.join('\n'), tags: 'v2' }),
    );
    if (merge.result instanceof Error)
      throw new Error(`${merge.result.message}\n${merge.log.slice(-10).join('\n')}`);
    expect(merge.result).toMatchObject({
      tags: [`${e2e().registry}/${repository}:v2`],
      platforms: [...PLATFORMS],
    });
    const pushed = await readPushedImage(registryClient(), repository, merge.result.digest);
    expect(pushed.platforms.sort()).toEqual([...PLATFORMS].sort());
  });
});
