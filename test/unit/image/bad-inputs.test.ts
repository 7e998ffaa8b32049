// Bad inputs and broken setups: each gives a clear error, and none starts a build. Input problems
// are found before anything runs at all; setup problems (builder, engine, registry) before the build.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, parseInputs } from '../../../src/action/parse-inputs.js';
import { RegistryError } from '../../../src/image/registry-client.js';
import { CommandNotFoundError } from '../../../src/image/system.js';
import { memoryLogger } from '../../../src/logger.js';
import { buildImageFromInputs, runBuildImage } from '../../../src/stages/build-image.js';
import type { StageContext } from '../../../src/stages/index.js';
import {
  built,
  CLASSIC_STORE,
  DIGEST,
  fail,
  fakeRegistry,
  fakeSystem,
  INSPECT_DOCKER,
  type FakeSystemOptions,
  type FakeRegistryOptions,
} from './fakes.js';

const project = mkdtempSync(join(tmpdir(), 'bad-inputs-'));
writeFileSync(join(project, 'Dockerfile'), 'FROM scratch\n');
mkdirSync(join(project, 'sub'));
mkdirSync(join(project, 'no-dockerfile'));

const GOOD = { registry: 'registry.example.com:5000', image: 'vision', tags: 'test', context: project };

function context(): StageContext & { logger: ReturnType<typeof memoryLogger> } {
  return {
    logger: memoryLogger(),
    run: {},
    mask: () => undefined,
    workDir: mkdtempSync(join(tmpdir(), 'work-')),
  };
}

async function run(
  raw: Record<string, string>,
  system: FakeSystemOptions = {},
  registry: FakeRegistryOptions = {},
) {
  const fake = fakeSystem(system);
  const promise = (async () => {
    const inputs = parseInputs('build-image', (name) => raw[name]);
    return buildImageFromInputs(inputs, context(), fake, {
      registryClient: () => fakeRegistry({ digest: DIGEST, ...registry }),
    });
  })();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return { error, calls: fake.calls };
}

describe('bad inputs: found before anything runs', () => {
  // [case, inputs, input named, message]
  test.each<[string, Record<string, string>, string, RegExp]>([
    [
      'unknown platform',
      { ...GOOD, platforms: 'linux/amd65' },
      'platforms',
      /'linux\/amd65'.*did you mean linux\/amd64\?/,
    ],
    [
      'kernel name instead of a platform',
      { ...GOOD, platforms: 'linux/aarch64' },
      'platforms',
      /did you mean linux\/arm64\?/,
    ],
    [
      'Windows platform',
      { ...GOOD, platforms: 'windows/amd64' },
      'platforms',
      /IoT Edge runs Linux containers/,
    ],
    [
      'platform listed twice',
      { ...GOOD, platforms: 'linux/arm64,linux/arm64/v8' },
      'platforms',
      /listed twice \(as linux\/arm64\)/,
    ],
    [
      'upper-case image name',
      { ...GOOD, image: 'Vision' },
      'image',
      /repository names are lower-case \('vision'\)/,
    ],
    [
      'image name with a tag',
      { ...GOOD, image: 'vision:1.0' },
      'image',
      /give the repository only \('vision'\) and tags in `tags`/,
    ],
    [
      'registry given as a URL',
      { ...GOOD, registry: 'https://myacr.azurecr.io' },
      'registry',
      /give the host only, e.g. 'myacr.azurecr.io'/,
    ],
    [
      'registry with a path',
      { ...GOOD, registry: 'myacr.azurecr.io/team' },
      'registry',
      /put 'team\/' in front of `image`/,
    ],
    ['tag with a space', { ...GOOD, tags: 'v1 .0' }, 'tags', /not a tag: use letters, digits/],
    ['tag with a repository', { ...GOOD, tags: 'vision:1.0' }, 'tags', /give the tag alone/],
    ['tag of 129 characters', { ...GOOD, tags: 'a'.repeat(129) }, 'tags', /129 characters; at most 128/],
    [
      'no tag to derive',
      { registry: GOOD.registry, image: 'vision', context: project },
      'tags',
      /no tag to push/,
    ],
    ['missing context', { ...GOOD, context: join(project, 'nope') }, 'context', /does not exist/],
    [
      'context is a file',
      { ...GOOD, context: join(project, 'Dockerfile') },
      'context',
      /is a file, not a folder/,
    ],
    [
      'no Dockerfile in the context',
      { ...GOOD, context: join(project, 'no-dockerfile') },
      'file',
      /there is no Dockerfile in the context/,
    ],
    [
      'missing Dockerfile',
      { ...GOOD, file: join(project, 'Dockerfile.edge') },
      'file',
      /'.*Dockerfile.edge' does not exist/,
    ],
    [
      'Dockerfile is a folder',
      { ...GOOD, file: join(project, 'sub') },
      'file',
      /is a directory, not a Dockerfile/,
    ],
    ['build argument without a name', { ...GOOD, 'build-args': '1BAD=x' }, 'build-args', /not NAME=value/],
    [
      'build argument split at a comma',
      { ...GOOD, 'build-args': 'LIST=a,b' },
      'build-args',
      /'b' is not NAME=value.*cannot contain a comma/,
    ],
    ['label without a value', { ...GOOD, labels: 'team' }, 'labels', /'team' is not key=value/],
    [
      'per-platform with three platforms',
      { ...GOOD, tags: '', 'build-mode': 'per-platform' },
      'platforms',
      /one platform per job; got 3/,
    ],
    [
      'per-platform without push',
      { ...GOOD, tags: '', 'build-mode': 'per-platform', platforms: 'linux/arm64', push: 'false' },
      'push',
      /push must be true/,
    ],
    [
      'per-platform with tags',
      { ...GOOD, 'build-mode': 'per-platform', platforms: 'linux/arm64' },
      'tags',
      /pushes by digest only/,
    ],
    [
      'merge without digests',
      { ...GOOD, 'build-mode': 'merge' },
      'digests',
      /is required with build-mode merge/,
    ],
    [
      'merge with a bad digest',
      { ...GOOD, 'build-mode': 'merge', digests: 'sha256:abc' },
      'digests',
      /64 hex digits/,
    ],
    ['digests without merge', { ...GOOD, digests: DIGEST }, 'digests', /only read with build-mode merge/],
    [
      'model-layer strategy without a model',
      { ...GOOD, strategy: 'model-layer' },
      'model-path',
      /no model-path given: strategy model-layer cannot apply/,
    ],
    [
      'relative model-image-path',
      { ...GOOD, 'model-image-path': 'app/model' },
      'model-image-path',
      /absolute path/,
    ],
    [
      'bad environment-image',
      { ...GOOD, 'environment-image': 'env@sha256:1' },
      'environment-image',
      /not a digest/,
    ],
    [
      'user without password',
      { ...GOOD, 'registry-username': 'ci' },
      'registry-password',
      /is required with registry-username 'ci'/,
    ],
    [
      'device token on a registry that is not ACR',
      { ...GOOD, 'device-pull-token': 'true', 'subscription-id': 's', 'resource-group': 'g' },
      'device-pull-token',
      /needs an Azure Container Registry/,
    ],
    [
      'device token without subscription',
      { ...GOOD, registry: 'myacr.azurecr.io', 'device-pull-token': 'true', 'resource-group': 'g' },
      'subscription-id',
      /is required with device-pull-token/,
    ],
    [
      'device token with a half-given identity',
      {
        ...GOOD,
        registry: 'myacr.azurecr.io',
        'device-pull-token': 'true',
        'subscription-id': 's',
        'resource-group': 'g',
        'client-secret': 'x',
        'client-id': '5a4d1b7e-0000-4000-8000-0000000ac003',
      },
      'tenant-id',
      /is required with client-secret/,
    ],
  ])('%s', async (_name, raw, input, message) => {
    const { error, calls } = await run(raw);
    expect(error).toBeInstanceOf(InputError);
    const problem = (error as InputError).problems.find((p) => p.input === input);
    expect(problem?.message).toMatch(message);
    expect(calls).toEqual([]);
  });

  test('names every problem at once', async () => {
    const { error } = await run({
      registry: 'https://x',
      image: 'Bad',
      platforms: 'linux/foo',
      tags: 'a b',
      context: join(project, 'nope'),
    });
    expect((error as InputError).problems.map((p) => p.input).sort()).toEqual([
      'context',
      'image',
      'platforms',
      'registry',
      'tags',
    ]);
  });
});

describe('broken setups: found before the build', () => {
  // [case, inputs, fakes, message]
  test.each<[string, Record<string, string>, FakeSystemOptions, FakeRegistryOptions, RegExp]>([
    [
      'docker not installed',
      GOOD,
      {
        version: () => {
          throw new CommandNotFoundError('docker', new Error('Unable to locate executable file: docker'));
        },
      },
      {},
      /docker CLI is not installed.*setup-buildx-action/s,
    ],
    [
      'no buildx plugin',
      GOOD,
      { version: () => fail("docker: 'buildx' is not a docker command.") },
      {},
      /docker buildx is not available.*'buildx' is not a docker command.*How to fix: .*setup-buildx-action/s,
    ],
    [
      'buildx too old',
      GOOD,
      { version: () => ({ exitCode: 0, stdout: 'github.com/docker/buildx v0.9.1 ed00243', stderr: '' }) },
      {},
      /buildx 0.9.1 is too old/,
    ],
    [
      'no such builder',
      { ...GOOD, builder: 'nope' },
      { inspect: () => fail('ERROR: no builder "nope" found') },
      {},
      /builder 'nope' does not exist/,
    ],
    [
      'no Docker engine',
      GOOD,
      {
        inspect: () => ({
          exitCode: 0,
          stdout:
            'Name: default\nDriver:\nError: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
          stderr: '',
        }),
      },
      {},
      /cannot reach a Docker engine.*How to fix/s,
    ],
    [
      'platform the builder cannot run (no QEMU)',
      GOOD,
      { inspect: () => ({ exitCode: 0, stdout: INSPECT_DOCKER, stderr: '' }) },
      {},
      /cannot build linux\/arm\/v7.*How to fix: .*setup-qemu-action/s,
    ],
    [
      'no multi-platform support (docker driver, classic store)',
      { ...GOOD, platforms: 'linux/amd64,linux/arm64' },
      { info: () => ({ exitCode: 0, stdout: CLASSIC_STORE, stderr: '' }) },
      {},
      /docker driver without the containerd image store.*How to fix: .*per-platform/s,
    ],
    [
      'registry refuses the password',
      { ...GOOD, platforms: 'linux/amd64', 'registry-username': 'ci', 'registry-password': 'wrong' },
      {
        login: () =>
          fail(
            'Error response from daemon: Get "https://registry.example.com:5000/v2/": unauthorized: authentication required',
          ),
      },
      {},
      /docker login to registry.example.com:5000 as 'ci' failed: .*unauthorized.*Check registry-username and registry-password/,
    ],
    [
      'registry refuses the credentials',
      { ...GOOD, platforms: 'linux/amd64', 'registry-username': 'ci', 'registry-password': 'wrong' },
      {},
      {
        loginRefused: new RegistryError(
          "registry.example.com:5000 refused the credentials of user 'ci' (401)",
          401,
          'UNAUTHORIZED',
        ),
      },
      /^registry.example.com:5000 refused the credentials of user 'ci' \(401\)$/,
    ],
    [
      'registry refuses the push',
      { ...GOOD, platforms: 'linux/amd64', 'registry-username': 'ci', 'registry-password': 'pw' },
      {},
      {
        pushRefused: new RegistryError(
          "user 'ci' may not push to vision: registry.example.com:5000 answered 403 DENIED (requested access to the resource is denied)",
          403,
          'DENIED',
        ),
      },
      /may not push to vision.*403 DENIED/,
    ],
  ])('%s', async (_name, raw, system, registry, message) => {
    const { error, calls } = await run(raw, system, registry);
    expect(error?.message).toMatch(message);
    expect(built(calls)).toBe(false);
  });

  test('a password never reaches the command line, and the failed login is logged out', async () => {
    const { calls } = await run(
      { ...GOOD, platforms: 'linux/amd64', 'registry-username': 'ci', 'registry-password': 's3cret' },
      {},
      {
        pushRefused: new RegistryError('denied', 403),
      },
    );
    const login = calls.find((c) => c.args[0] === 'login')!;
    expect(login.args).toEqual([
      'login',
      'registry.example.com:5000',
      '--username',
      'ci',
      '--password-stdin',
    ]);
    expect(login.input).toBe('s3cret');
    expect(calls.flatMap((c) => c.args).join(' ')).not.toContain('s3cret');
    expect(calls.at(-1)?.args).toEqual(['logout', 'registry.example.com:5000']);
  });
});

test('the sub-action refuses a device pull token: its password could reach no later step', async () => {
  const inputs = parseInputs(
    'build-image',
    (name) =>
      ({
        ...GOOD,
        registry: 'myacr.azurecr.io',
        'device-pull-token': 'true',
        'subscription-id': 's',
        'resource-group': 'g',
      })[name],
  );
  const error = await runBuildImage(inputs, context()).catch((e: Error) => e);
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).problems).toEqual([
    { input: 'device-pull-token', message: expect.stringMatching(/use it with the root action/) },
  ]);
});
