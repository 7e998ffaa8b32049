// The build-image action as the runner runs it: the ncc bundle of src/entrypoints/build-image.ts,
// inputs in INPUT_* variables, outputs and state in the GITHUB_OUTPUT / GITHUB_STATE files, then the
// same bundle again as the post step. And a cancelled run: the main step is killed while logged in,
// and the post step logs docker out.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginLedgerPath } from '../../src/image/registry-login.js';
import { stepEnvironment, stepResults } from '../support/action-runner.js';
import { REPO_ROOT } from '../support/paths.js';
import { e2e, fixtureInputs, freshRepository } from './support.js';

let bundle = '';

beforeAll(() => {
  const out = mkdtempSync(join(tmpdir(), 'build-image-bundle-'));
  const ncc = join(REPO_ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
  const result = spawnSync(
    process.execPath,
    [
      ncc,
      'build',
      join(REPO_ROOT, 'src', 'entrypoints', 'build-image.ts'),
      '-o',
      out,
      '--quiet',
      '--target',
      'es2022',
    ],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`ncc: ${result.stderr}`);
  bundle = join(out, 'index.js');
}, 120_000);

function runnerEnvironment(
  inputs: Record<string, string>,
  runner: string,
  state: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const context = {
    GITHUB_REF: 'refs/tags/v3.0.0',
    GITHUB_SHA: '9f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c',
    GITHUB_REPOSITORY: 'contoso/edge-models',
  };
  return stepEnvironment(runner, inputs, { ...process.env, ...context }, state);
}

function authsInDockerConfig(): string[] {
  const file = join(process.env.DOCKER_CONFIG!, 'config.json');
  if (!existsSync(file)) return [];
  return Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { auths?: object }).auths ?? {});
}

describe('the build-image action bundle', () => {
  test('main writes outputs (no secret) and state; post has nothing left to undo', () => {
    const runner = mkdtempSync(join(tmpdir(), 'runner-'));
    const inputs = fixtureInputs(freshRepository('action'));
    const main = spawnSync(process.execPath, [bundle], {
      env: runnerEnvironment(inputs, runner),
      encoding: 'utf8',
    });
    expect(main.stdout).not.toMatch(/::error::/);
    expect(main.status).toBe(0);
    const { outputs, state, summary } = stepResults(runner);
    expect(outputs).toMatchObject({
      image: `${e2e().registry}/${inputs.image}`,
      platforms: 'linux/amd64,linux/arm64,linux/arm/v7',
      'build-strategy': 'full',
      tags: ['3.0.0', '3.0', '3', 'sha-9f1c2d3']
        .map((t) => `${e2e().registry}/${inputs.image}:${t}`)
        .join(','),
    });
    expect(outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs['image-ref']).toBe(`${outputs.image}@${outputs.digest}`);
    // The password reaches the runner only in the commands that mask it.
    const lines = `${main.stdout}\n${main.stderr}`
      .split('\n')
      .filter((line) => line.includes(e2e().registryPassword));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line === `::add-mask::${e2e().registryPassword}`)).toBe(true);
    expect(JSON.stringify(outputs) + summary).not.toContain(e2e().registryPassword);
    expect(summary).toContain(outputs.digest);
    expect(state).toEqual({ isPost: 'true' });
    expect(authsInDockerConfig()).not.toContain(e2e().registry);

    const post = spawnSync(process.execPath, [bundle], {
      env: runnerEnvironment(inputs, runner, state),
      encoding: 'utf8',
    });
    expect(post.status).toBe(0);
    expect(post.stdout).toContain('No registry login left to undo.');
  });

  test('a run cancelled while logged in is logged out by the post step', async () => {
    const runner = mkdtempSync(join(tmpdir(), 'runner-'));
    const inputs = fixtureInputs(freshRepository('cancelled'), { tags: 'c1' });
    const main = spawn(process.execPath, [bundle], {
      env: runnerEnvironment(inputs, runner),
      detached: true,
      stdio: 'ignore',
    });
    const deadline = Date.now() + 60_000;
    // Wait until docker holds the login, then kill the step the way a cancelled job ends it.
    while (!(existsSync(loginLedgerPath(runner)) && authsInDockerConfig().includes(e2e().registry))) {
      if (Date.now() > deadline || main.exitCode !== null) throw new Error('the main step never logged in');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    process.kill(-main.pid!, 'SIGKILL');
    await new Promise((resolve) => main.once('exit', resolve));
    expect(authsInDockerConfig()).toContain(e2e().registry);

    const post = spawnSync(process.execPath, [bundle], {
      env: runnerEnvironment(inputs, runner, { isPost: 'true' }),
      encoding: 'utf8',
    });
    expect(post.status).toBe(0);
    expect(post.stdout).toContain(`Logged out of ${e2e().registry}`);
    expect(authsInDockerConfig()).not.toContain(e2e().registry);
    expect(existsSync(loginLedgerPath(runner))).toBe(false);
  });
});
