// The stage's orchestration with fakes of docker and the registry: the order of the steps, what
// each docker call gets, the checks after the push, logins and the post step's logout.
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseInputs } from '../../../src/action/parse-inputs.js';
import { explainBuildFailure, imageOutputs, imageSummary } from '../../../src/image/build-image.js';
import { checkBuilder, parseBuildxInspect } from '../../../src/image/builder.js';
import {
  dockerConfigCredentials,
  dockerLogin,
  loginLedgerPath,
  logoutRecorded,
  TOKEN_USERNAME,
} from '../../../src/image/registry-login.js';
import { memoryLogger } from '../../../src/logger.js';
import { buildImageFromInputs, runBuildImage } from '../../../src/stages/build-image.js';
import type { StageContext } from '../../../src/stages/index.js';
import {
  DIGEST,
  fail,
  fakeRegistry,
  fakeSystem,
  INSPECT_CONTAINER,
  INSPECT_DOCKER,
  type FakeRegistryOptions,
  type FakeSystemOptions,
} from './fakes.js';

const project = mkdtempSync(join(tmpdir(), 'build-image-'));
writeFileSync(join(project, 'Dockerfile'), 'FROM scratch\n');
const SHA = '0123abcd4567ef890123abcd4567ef8901234567';
const INPUTS = {
  registry: 'registry.example.com',
  image: 'vision',
  context: project,
  'registry-username': 'ci',
  'registry-password': 'pw-123',
};

function stageContext(run: StageContext['run'] = { ref: 'refs/tags/v1.2.0', commit: SHA }) {
  const masked: string[] = [];
  const context: StageContext & { logger: ReturnType<typeof memoryLogger> } = {
    logger: memoryLogger(),
    run,
    mask: (secret) => void masked.push(secret),
    workDir: mkdtempSync(join(tmpdir(), 'work-')),
  };
  return { context, masked };
}

async function build(
  raw: Record<string, string>,
  system: FakeSystemOptions = {},
  registry: FakeRegistryOptions = {},
  run?: StageContext['run'],
) {
  const fake = fakeSystem(system);
  const reg = fakeRegistry({ digest: DIGEST, ...registry });
  const { context, masked } = stageContext(run);
  const inputs = parseInputs('build-image', (name) => raw[name]);
  const result = await buildImageFromInputs(inputs, context, fake, { registryClient: () => reg }).catch(
    (e: Error) => e,
  );
  return { result, calls: fake.calls, masked, context, registry: reg };
}

describe('build and push', () => {
  test('checks, logs in, builds, checks the index and tags, logs out', async () => {
    const { result, calls, masked, context, registry } = await build(INPUTS);
    expect(result).toMatchObject({
      image: 'registry.example.com/vision',
      digest: DIGEST,
      imageRef: `registry.example.com/vision@${DIGEST}`,
      tags: ['1.2.0', '1.2', '1', 'sha-0123abc'].map((t) => `registry.example.com/vision:${t}`),
      platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
      pushed: true,
    });
    expect(calls.map((c) => c.args.slice(0, 2).join(' '))).toEqual([
      'buildx version',
      'buildx inspect',
      '--context default',
      'login registry.example.com',
      'buildx build',
      'logout registry.example.com',
    ]);
    expect(registry.pushChecks).toBe(1);
    expect(masked).toContain('pw-123');
    expect(existsSync(loginLedgerPath(context.workDir))).toBe(false);
    expect(existsSync(dirname(loginLedgerPath(context.workDir)))).toBe(false);
    expect(context.logger.lines.join('\n')).not.toContain('pw-123');
  });

  test('the outputs and summary hold no secret', async () => {
    const { result } = await build(INPUTS);
    const outputs = imageOutputs(result as never);
    expect(outputs).toEqual({
      image: 'registry.example.com/vision',
      digest: DIGEST,
      'image-ref': `registry.example.com/vision@${DIGEST}`,
      tags: ['1.2.0', '1.2', '1', 'sha-0123abc'].map((t) => `registry.example.com/vision:${t}`).join(','),
      platforms: 'linux/amd64,linux/arm64,linux/arm/v7',
      'build-strategy': 'full',
    });
    expect(JSON.stringify(outputs) + imageSummary(result as never)).not.toContain('pw-123');
  });

  test('a platform missing from the pushed index fails the step (and still logs out)', async () => {
    const { result, calls } = await build(INPUTS, {}, { platforms: ['linux/amd64', 'linux/arm64'] });
    expect((result as Error).message).toBe(
      'registry.example.com/vision lacks linux/arm/v7: the registry holds linux/amd64, linux/arm64. Devices of the missing platforms could not start the module; check the builder and the build log.',
    );
    expect(calls.at(-1)?.args).toEqual(['logout', 'registry.example.com']);
  });

  test('a tag that does not point at the pushed digest fails', async () => {
    const { result } = await build(INPUTS, {}, { staleTags: ['1.2'] });
    expect((result as Error).message).toMatch(/vision:1.2 points at sha256:0+, not at the pushed/);
  });

  test('a failed build says why, briefly', async () => {
    const { result } = await build(INPUTS, {
      build: () =>
        fail(
          '#8 [linux/arm/v7 2/4] RUN make\n#8 0.1 exec /bin/sh: exec format error\nERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 1',
        ),
    });
    expect((result as Error).message).toMatch(
      /^buildx failed: a RUN step could not execute for a foreign platform \(ERROR: failed to solve.*\)\. QEMU is not set up/,
    );
  });

  test('build only: no push, no check, no digest needed', async () => {
    const { result, registry } = await build(
      { ...INPUTS, push: 'false' },
      { build: () => ({ exitCode: 0, stdout: '', stderr: '' }) },
    );
    expect(result).toMatchObject({
      digest: '',
      imageRef: '',
      pushed: false,
      platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
    });
    expect(registry.pushChecks).toBe(0);
  });

  test('per-platform: pushes by digest, no tags (docker-container driver)', async () => {
    const { result, calls } = await build(
      { ...INPUTS, 'build-mode': 'per-platform', platforms: 'linux/arm64', builder: 'builder-1' },
      { inspect: () => ({ exitCode: 0, stdout: INSPECT_CONTAINER, stderr: '' }) },
      { platforms: ['linux/arm64'] },
    );
    expect(result).toMatchObject({ digest: DIGEST, tags: [], platforms: ['linux/arm64'] });
    expect(calls.find((c) => c.args[1] === 'build')?.args).toContain(
      'type=image,name=registry.example.com/vision,push-by-digest=true,name-canonical=true,push=true',
    );
  });

  test('per-platform on the docker driver, which cannot push by digest: a staging tag', async () => {
    const { result, calls } = await build(
      { ...INPUTS, 'build-mode': 'per-platform', platforms: 'linux/arm64' },
      {},
      { platforms: ['linux/arm64'] },
    );
    expect(result).toMatchObject({
      digest: DIGEST,
      tags: ['registry.example.com/vision:build-linux-arm64-0123abc'],
    });
    const args = calls.find((c) => c.args[1] === 'build')!.args;
    expect(args).toEqual(
      expect.arrayContaining(['--tag', 'registry.example.com/vision:build-linux-arm64-0123abc', '--push']),
    );
    expect(args).not.toContain('--output');
  });

  test('merge: joins the digests with imagetools and reads the new index back', async () => {
    const digests = [`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`, `sha256:${'c'.repeat(64)}`];
    const { result, calls } = await build({
      ...INPUTS,
      'build-mode': 'merge',
      digests: digests.join('\n'),
      tags: 'v1',
    });
    expect(result).toMatchObject({ digest: DIGEST, tags: ['registry.example.com/vision:v1'] });
    expect(calls.find((c) => c.args[1] === 'imagetools')?.args).toEqual([
      'buildx',
      'imagetools',
      'create',
      '--tag',
      'registry.example.com/vision:v1',
      ...digests.map((d) => `registry.example.com/vision@${d}`),
    ]);
    expect(calls.some((c) => c.args[1] === 'build')).toBe(false);
  });

  test('the default GitHub Actions cache is left out where the driver cannot export it', async () => {
    const { calls } = await build(
      { ...INPUTS, platforms: 'linux/amd64' },
      { info: () => ({ exitCode: 0, stdout: '[["Backing Filesystem","extfs"]]', stderr: '' }) },
      { platforms: ['linux/amd64'] },
      { ref: 'refs/heads/main', runId: '5' },
    );
    expect(calls.find((c) => c.args[1] === 'build')?.args).not.toContain('--cache-to');
  });

  test('runBuildImage returns outputs and a summary', async () => {
    // Through the stage's public entry, with docker faked only as far as input checks go.
    const { context } = stageContext();
    await expect(
      runBuildImage(
        parseInputs(
          'build-image',
          (n) => ({ registry: 'r.example.com', context: join(project, 'x') })[n as 'registry'],
        ),
        context,
      ),
    ).rejects.toThrow(/context/);
  });
});

describe('builder check', () => {
  test('reads buildx inspect', () => {
    expect(parseBuildxInspect(INSPECT_CONTAINER)).toEqual({
      name: 'builder-1',
      driver: 'docker-container',
      status: 'running',
      platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/arm/v7', 'linux/arm/v6'],
    });
  });

  test('a platform the builder does not list, but QEMU runs on this machine, is built with a warning', async () => {
    const logger = memoryLogger();
    const system = fakeSystem({
      inspect: () => ({ exitCode: 0, stdout: INSPECT_DOCKER, stderr: '' }),
      binfmt: { 'qemu-arm': 'enabled\ninterpreter /usr/libexec/qemu-binfmt/arm-binfmt-P\nflags: PF\n' },
    });
    const info = await checkBuilder(
      { platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'] },
      system,
      logger,
    );
    expect(info).toMatchObject({ driver: 'docker', containerdStore: true });
    expect(logger.lines.join('\n')).toMatch(
      /does not list linux\/arm\/v7, but this machine runs arm binaries through QEMU \(qemu-arm\)/,
    );
  });

  test('an inactive docker-container builder is booted to learn its platforms', async () => {
    let inspections = 0;
    const system = fakeSystem({
      inspect: (args) => {
        inspections++;
        return {
          exitCode: 0,
          stdout: args.includes('--bootstrap')
            ? INSPECT_CONTAINER
            : INSPECT_CONTAINER.replace('running', 'inactive'),
          stderr: '',
        };
      },
    });
    await checkBuilder({ builder: 'builder-1', platforms: ['linux/arm/v7'] }, system, memoryLogger());
    expect(inspections).toBe(2);
    expect(system.calls.some((c) => c.args.includes('info'))).toBe(false);
  });

  test('one platform on the classic docker driver is fine', async () => {
    const system = fakeSystem({
      info: () => ({ exitCode: 0, stdout: '[]', stderr: '' }),
      inspect: () => ({ exitCode: 0, stdout: INSPECT_DOCKER, stderr: '' }),
    });
    await expect(checkBuilder({ platforms: ['linux/arm64'] }, system, memoryLogger())).resolves.toMatchObject(
      { containerdStore: false },
    );
  });
});

describe('explainBuildFailure', () => {
  test.each<[string, RegExp]>([
    [
      'ERROR: failed to solve: failed to push r/app:1: unexpected status from PUT request: 403 Forbidden',
      /registry refused access .* may push to r\/app/,
    ],
    [
      'ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory',
      /something the Dockerfile needs was not found/,
    ],
    [
      'ERROR: Multi-platform build is not supported for the docker driver.',
      /cannot build several platforms at once/,
    ],
    [
      '#5 ERROR: something odd\nERROR: failed to solve: odd',
      /^buildx failed: #5 ERROR: something odd \| ERROR: failed to solve: odd$/,
    ],
    ['', /^buildx failed: no error output$/],
  ])('%s', (stderr, message) => {
    expect(explainBuildFailure(stderr, 'r/app')).toMatch(message);
  });
});

describe('logins', () => {
  test('the post step logs out of what the main step left logged in', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'post-'));
    const system = fakeSystem();
    await dockerLogin('r1.example.com', { username: 'u', password: 'p' }, system, workDir, memoryLogger());
    await dockerLogin('r2.example.com', { username: 'u', password: 'p' }, system, workDir, memoryLogger());
    // The main step was cancelled here: no logout ran.
    expect(await logoutRecorded(system, workDir, memoryLogger())).toEqual([
      'r1.example.com',
      'r2.example.com',
    ]);
    expect(system.calls.filter((c) => c.args[0] === 'logout').map((c) => c.args[1])).toEqual([
      'r1.example.com',
      'r2.example.com',
    ]);
    expect(existsSync(loginLedgerPath(workDir))).toBe(false);
    expect(await logoutRecorded(system, workDir, memoryLogger())).toEqual([]);
  });

  test('a failed login names the registry and user, never the password', async () => {
    const system = fakeSystem({
      login: () =>
        fail(
          'Error response from daemon: login attempt to https://r/v2/ failed with status: 401 Unauthorized (password s3cret)',
        ),
    });
    await expect(
      dockerLogin(
        'r.example.com',
        { username: 'ci', password: 's3cret' },
        system,
        mkdtempSync(join(tmpdir(), 'w-')),
        memoryLogger(),
      ),
    ).rejects.toThrow(
      "docker login to r.example.com as 'ci' failed: Error response from daemon: login attempt to https://r/v2/ failed with status: 401 Unauthorized (password ***)",
    );
  });

  test('credentials docker already holds: auth entries, identity tokens, credential helpers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docker-config-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'a.example.com': { auth: Buffer.from('user:pa:ss').toString('base64') },
          'myacr.azurecr.io': { identitytoken: 'refresh-token' },
        },
        credHelpers: { 'h.example.com': 'fake' },
      }),
    );
    const helper = fakeSystem({ dockerConfigDir: dir });
    helper.exec = async (command, _args, options) =>
      command === 'docker-credential-fake' && options?.input === 'h.example.com'
        ? {
            exitCode: 0,
            stdout: JSON.stringify({
              ServerURL: 'h.example.com',
              Username: '<token>',
              Secret: 'from-helper',
            }),
            stderr: '',
          }
        : { exitCode: 1, stdout: '', stderr: 'credentials not found' };
    expect(await dockerConfigCredentials('a.example.com', helper)).toEqual({
      username: 'user',
      password: 'pa:ss',
    });
    expect(await dockerConfigCredentials('myacr.azurecr.io', helper)).toEqual({
      username: TOKEN_USERNAME,
      password: 'refresh-token',
    });
    expect(await dockerConfigCredentials('h.example.com', helper)).toEqual({
      username: TOKEN_USERNAME,
      password: 'from-helper',
    });
    expect(await dockerConfigCredentials('none.example.com', helper)).toBeUndefined();
  });
});
