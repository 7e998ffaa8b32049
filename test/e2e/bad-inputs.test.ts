// Broken setups and bad inputs against the real engine and registry: each error is clear, and none
// starts a build (except a Dockerfile whose base image does not exist, which only a build finds).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infra } from '../../scripts/e2e/infra-control.js';
import { e2e, fixtureInputs, freshRepository, runStage } from './support.js';

beforeAll(() => void infra('start-classic'));
afterAll(() => void infra('stop-classic'));

const started = (log: string[]) => log.some((line) => /^== (Build|Join)/.test(line));

describe('refused before any build, on the real engine', () => {
  // [case, inputs, environment, message]
  test.each<[string, (repository: string) => Record<string, string>, () => NodeJS.ProcessEnv, RegExp]>([
    [
      'unknown platform',
      (r) => fixtureInputs(r, { platforms: 'linux/amd64,linux/arm65' }),
      () => ({}),
      /'linux\/arm65'.*did you mean linux\/arm64\?/,
    ],
    [
      'missing Dockerfile',
      (r) => fixtureInputs(r, { file: 'test/fixtures/model-project/Dockerfile.gpu' }),
      () => ({}),
      /'test\/fixtures\/model-project\/Dockerfile.gpu' does not exist/,
    ],
    [
      'missing context',
      (r) => fixtureInputs(r, { context: 'test/fixtures/no-such-project' }),
      () => ({}),
      /'test\/fixtures\/no-such-project' does not exist/,
    ],
    ['bad image name', (r) => fixtureInputs(r.toUpperCase()), () => ({}), /repository names are lower-case/],
    ['bad tag', (r) => fixtureInputs(r, { tags: 'release 1' }), () => ({}), /'release 1' is not a tag/],
    [
      'no such builder',
      (r) => fixtureInputs(r, { builder: 'no-such-builder', tags: 't' }),
      () => ({}),
      /The builder 'no-such-builder' does not exist \(ERROR: no builder "no-such-builder" found\)/,
    ],
    [
      'no Docker engine',
      (r) => fixtureInputs(r, { tags: 't' }),
      () => ({ DOCKER_HOST: 'unix:///run/ml-to-iot-edge-e2e/nothing.sock' }),
      /cannot reach a Docker engine \(Cannot connect to the Docker daemon at unix:\/\/\/run\/ml-to-iot-edge-e2e\/nothing.sock/,
    ],
    [
      'no buildx plugin',
      (r) => fixtureInputs(r, { tags: 't' }),
      () => ({ DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'no-plugins-')) }),
      /docker buildx is not available \(.*buildx.*\)\.\nHow to fix: .*setup-buildx-action/,
    ],
    [
      'no multi-platform support (classic image store)',
      (r) => fixtureInputs(r, { tags: 't' }),
      () => ({ DOCKER_HOST: e2e().classicDockerHost }),
      /uses the docker driver without the containerd image store, which builds one platform at a time; 3 were asked for/,
    ],
    [
      'registry refuses the password',
      (r) => fixtureInputs(r, { tags: 't', 'registry-password': 'not-the-password' }),
      () => ({}),
      /^[^ ]+:\d+ refused the credentials of user 'e2e' \(401\)$/,
    ],
    [
      'registry refuses pushes',
      (r) => fixtureInputs(r, { tags: 't', registry: e2e().readonlyRegistry }),
      () => ({}),
      /the registry refused a push to e2e\/.*answered 405/,
    ],
  ])('%s', async (_name, inputs, env, message) => {
    const { result, log } = await runStage(inputs(freshRepository('bad')), { env: env() });
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toMatch(message);
    expect(started(log)).toBe(false);
  });
});

test('a base image that does not exist fails the build with a short reason', async () => {
  const { result, log } = await runStage(
    fixtureInputs(freshRepository('bad'), {
      tags: 't',
      platforms: 'linux/amd64',
      'build-args': `BASE_IMAGE=${e2e().registry}/base/nothing:1`,
    }),
  );
  expect(started(log)).toBe(true);
  expect((result as Error).message).toMatch(
    /^buildx failed: something the Dockerfile needs was not found \(.*base\/nothing:1.*not found/,
  );
  expect(log.at(-1)).toBe(`Logged out of ${e2e().registry}`);
});
