// The build-image stage on the model-layer path, against the in-process OCI registry and a fake
// docker: an existing environment image means no command at all; a missing one is built once with
// buildx (builder check, login, build of the staged context) and the model appended; the release
// image can go to an OCI layout instead; the path and its reason reach the result and the summary.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInputs } from '../../../../src/action/parse-inputs.js';
import { imageOutputs, imageSummary, type BuildImageResult } from '../../../../src/image/build-image.js';
import { hashEnvironment } from '../../../../src/image/fast-path/environment.js';
import { IN_MEMORY_LIMIT } from '../../../../src/image/oci/model-layer.js';
import { createRegistryClient } from '../../../../src/image/registry-client.js';
import { memoryLogger } from '../../../../src/logger.js';
import { buildImageFromInputs } from '../../../../src/stages/build-image.js';
import { startOciRegistry, type OciRegistry } from '../../../support/oci-registry.js';
import { fakeSystem } from '../fakes.js';

const PLATFORMS = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
  { os: 'linux', architecture: 'arm', variant: 'v7' },
];
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let registry: OciRegistry;
let project: string;

/** An environment image for three platforms, one base layer each, under `tag`. */
function seedEnvironment(repository: string, tag: string): string {
  const manifests = PLATFORMS.map((platform) => {
    const base = Buffer.from(`base layer ${platform.architecture}`);
    const layer = registry.addBlob(repository, base);
    const config = Buffer.from(
      JSON.stringify({
        ...platform,
        config: { Labels: { 'org.opencontainers.image.title': 'env' } },
        rootfs: { type: 'layers', diff_ids: [sha256(`base ${platform.architecture}`)] },
        history: [{ created_by: 'base' }],
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: registry.addBlob(repository, config),
          size: config.length,
        },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: base.length },
        ],
      }),
    );
    return {
      mediaType: OCI_MANIFEST,
      digest: registry.addManifest(repository, OCI_MANIFEST, manifest),
      size: manifest.length,
      platform,
    };
  });
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  return registry.addManifest(repository, OCI_INDEX, index, tag);
}

async function environmentTag(): Promise<string> {
  const hash = await hashEnvironment({
    context: project,
    dockerfile: join(project, 'Dockerfile'),
    dockerfileText: readFileSync(join(project, 'Dockerfile'), 'utf8'),
    model: 'model',
    modelKind: 'folder',
    buildArgs: [],
    platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
    destination: '/app/model',
  });
  return hash.tag;
}

async function release(
  raw: Record<string, string>,
  system = fakeSystem(),
): Promise<{ result: BuildImageResult | Error; log: string[]; calls: string[] }> {
  const logger = memoryLogger();
  const inputs = parseInputs('build-image', (name) => raw[name]);
  const result = await buildImageFromInputs(
    inputs,
    {
      logger,
      run: { commit: '0123abcd4567ef890123abcd4567ef8901234567' },
      mask: () => undefined,
      workDir: mkdtempSync(join(tmpdir(), 'work-')),
    },
    system,
    {
      registryClient: (host, credentials) =>
        createRegistryClient({ registry: host, credentials, insecureHttp: true }),
    },
  ).catch((error: Error) => error);
  return {
    result,
    log: logger.lines,
    calls: system.calls.map((c) => `${c.command} ${c.args.slice(0, 2).join(' ')}`),
  };
}

beforeAll(async () => {
  registry = await startOciRegistry({ tls: false });
});
afterAll(() => registry.close());
beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'model-project-'));
  writeFileSync(join(project, 'Dockerfile'), 'FROM base\nRUN make\nCOPY model/ /app/model/\nCMD ["serve"]\n');
  writeFileSync(join(project, 'serve.sh'), 'serve');
  mkdirSync(join(project, 'model'));
  writeFileSync(join(project, 'model', 'weights.bin'), 'weights v2');
});

const inputs = (repository: string, extra: Record<string, string> = {}) => ({
  registry: registry.host,
  image: repository,
  context: project,
  'model-path': join(project, 'model'),
  'model-name': 'vibration',
  'model-version': '2',
  tags: 'v2',
  'registry-username': 'ci',
  'registry-password': 'registry-secret',
  ...extra,
});

describe('the model-layer path', () => {
  test('an existing environment image: no command at all, the model appended, the path said', async () => {
    const tag = await environmentTag();
    seedEnvironment('app', tag);
    const { result, log, calls } = await release(inputs('app'));
    if (result instanceof Error) throw result;
    expect(calls).toEqual([]);
    expect(log).toContain(`environment image ${tag} reused: no Docker build`);
    expect(result).toMatchObject({
      strategy: 'model-layer',
      strategyReason: 'model-layer: Dockerfile copies model/ last to /app/model',
      platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
      tags: [`${registry.host}/app:v2`],
      pushed: true,
      fastPath: { environmentBuilt: false, environment: `${registry.host}/app:${tag}` },
    });
    expect(imageOutputs(result)['build-strategy']).toBe('model-layer');
    expect(imageSummary(result)).toContain('model-layer: Dockerfile copies model/ last to /app/model');
    expect(imageSummary(result)).toContain('reused: no Docker build');
    expect(registry.manifest('app', 'v2')).toBeDefined();
  });

  test('the same model twice: the same digest', async () => {
    seedEnvironment('twice', await environmentTag());
    const first = await release(inputs('twice'));
    const second = await release(inputs('twice'));
    expect((second.result as BuildImageResult).digest).toBe((first.result as BuildImageResult).digest);
  });

  test('a missing environment image is built once with buildx from a staged context, then appended', async () => {
    const tag = await environmentTag();
    let staged: string[] = [];
    const system = fakeSystem({
      build: (args) => {
        const context = args.at(-1)!;
        staged = [
          existsSync(join(context, 'serve.sh')) ? 'serve.sh' : '',
          readFileSync(join(context, 'Dockerfile'), 'utf8'),
        ];
        expect(existsSync(join(context, 'model', 'weights.bin'))).toBe(false);
        expect(args).toContain(`${registry.host}/built:${tag}`);
        seedEnvironment('built', tag);
        return { exitCode: 0, stdout: '', stderr: '' };
      },
    });
    const { result, calls } = await release(inputs('built'), system);
    if (result instanceof Error) throw result;
    expect(calls).toEqual([
      'docker buildx version',
      'docker buildx inspect',
      'docker --context default',
      `docker login ${registry.host}`,
      'docker buildx build',
      `docker logout ${registry.host}`,
    ]);
    expect(staged[0]).toBe('serve.sh');
    expect(result.fastPath).toMatchObject({ environmentBuilt: true });
  });

  test('a large model: compressed straight into the upload (no HEAD, no file), the environment read once, the same image as a layout release', async () => {
    writeFileSync(join(project, 'model', 'weights.bin'), randomBytes(IN_MEMORY_LIMIT + 50_000));
    const tag = await environmentTag();
    seedEnvironment('large', tag);
    registry.clearLog();
    const { result, log } = await release(inputs('large'));
    if (result instanceof Error) throw result;
    const layer = result.fastPath!.layerDigest;
    const lines = registry.requests.map((r) => `${r.method} ${r.path}`);
    expect(lines.filter((line) => line.includes(layer))).toEqual([]); // never asked about: it was sent
    expect(lines.filter((line) => line === `GET /v2/large/manifests/${tag}`)).toHaveLength(1);
    expect(registry.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(registry.blob('large', layer)?.length).toBe(result.fastPath!.layerBytes);
    expect(log.some((line) => line.includes('fast-path span model layer upload'))).toBe(true);
    // The push-access probe ran, and the layer landed only after it: its PUT comes after the DELETE.
    const probe = lines.findIndex((line) => line.startsWith('DELETE /v2/large/blobs/uploads/'));
    const landed = registry.requests.findIndex(
      (r) =>
        r.method === 'PUT' &&
        r.path.startsWith('/v2/large/blobs/uploads/') &&
        decodeURIComponent(r.query).includes(layer),
    );
    expect(probe).toBeGreaterThanOrEqual(0);
    expect(landed).toBeGreaterThan(probe);

    const layout = mkdtempSync(join(tmpdir(), 'layout-'));
    const offline = await release(inputs('large', { 'oci-layout': layout }));
    if (offline.result instanceof Error) throw offline.result;
    expect(offline.result.fastPath!.layerDigest).toBe(layer);
    expect(offline.result.digest).toBe(result.digest);
  });

  test('oci-layout: the release image goes into a folder, the registry gets no write', async () => {
    seedEnvironment('layout', await environmentTag());
    const layout = mkdtempSync(join(tmpdir(), 'layout-'));
    registry.clearLog();
    const { result } = await release(inputs('layout', { 'oci-layout': layout }));
    if (result instanceof Error) throw result;
    expect(result).toMatchObject({ strategy: 'model-layer', pushed: false });
    expect(result.fastPath!.target).toContain(layout);
    expect(registry.requests.filter((r) => !['GET', 'HEAD'].includes(r.method))).toEqual([]);
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: unknown[] };
    expect(index.manifests.length).toBeGreaterThan(0);
  });

  test('forced with a RUN after the model COPY: refused before any request or command', async () => {
    writeFileSync(join(project, 'Dockerfile'), 'FROM base\nCOPY model/ /app/model/\nRUN chmod -R 755 /app\n');
    registry.clearLog();
    const { result, calls } = await release(inputs('refused', { strategy: 'model-layer' }));
    expect((result as Error).message).toMatch(
      /^Input 'strategy': RUN after the model COPY at line 3: strategy model-layer cannot apply\. How to fix: /,
    );
    expect(calls).toEqual([]);
    expect(registry.requests).toEqual([]);
  });
});
