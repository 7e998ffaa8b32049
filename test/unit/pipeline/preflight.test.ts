import { describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { InputError, parseInputs } from '../../../src/action/parse-inputs.js';
import { memoryLogger } from '../../../src/logger.js';
import { planPipeline, type PipelinePlan } from '../../../src/pipeline/preflight.js';
import type { RunInfo, StageContext } from '../../../src/stages/index.js';
import { REPO_ROOT } from '../../support/paths.js';

const IMAGE_REF = `registry.local/vision@sha256:${'b'.repeat(64)}`;
const HUB = 'HostName=hub.local;SharedAccessKeyName=iothubowner;SharedAccessKey=a2V5';
const RELEASE_RUN: RunInfo = {
  repository: 'acme/vision',
  commit: 'c0ffee1234567890',
  ref: 'refs/tags/v1.4.0',
  eventName: 'release',
  event: { action: 'published', release: { tag_name: 'v1.4.0' } },
};
const BASE = { 'iothub-connection-string': HUB, rings: 'rings:\n  - {name: canary, tag: ring=canary}\n' };

function context(run: RunInfo = RELEASE_RUN): StageContext {
  return { logger: memoryLogger(), run, mask: () => undefined, workDir: '.' };
}

function plan(given: Record<string, string>, run?: RunInfo): PipelinePlan {
  return planPipeline(
    parseInputs('pipeline', (name) => ({ ...BASE, ...given })[name]),
    context(run),
  );
}

function problems(given: Record<string, string>, run?: RunInfo): Array<[string, string]> {
  try {
    plan(given, run);
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => [p.input, p.message]);
    throw error;
  }
  throw new Error('no problem found');
}

describe('what the pipeline will run', () => {
  test.each<[string, Record<string, string>, Partial<PipelinePlan>, string[]]>([
    [
      'image-ref given, no workspace: the rollout alone',
      { 'image-ref': IMAGE_REF },
      { register: false, build: false },
      ['registration skipped: no workspace input', 'build skipped: image-ref given'],
    ],
    [
      'a registry: the image is built (its digest is a placeholder in the check)',
      { registry: 'registry.local:5000', context: join(REPO_ROOT, 'test', 'fixtures', 'model-project') },
      { register: false, build: true },
      ['registration skipped: no workspace input'],
    ],
  ])('%s', (_name, given, expected, skipped) => {
    const result = plan(given);
    expect(result).toMatchObject(expected);
    expect(result.skipped).toEqual(skipped);
    expect(result.inputs).toMatchObject({ release: '1.4.0', command: 'auto' });
  });

  test('a dispatch status runs the rollout command alone', () => {
    const result = plan(
      {},
      {
        ...RELEASE_RUN,
        eventName: 'workflow_dispatch',
        ref: 'refs/heads/main',
        event: { inputs: { command: 'status' } },
      },
    );
    expect(result).toMatchObject({ register: false, build: false, inputs: { command: 'status' } });
    expect(result.skipped).toEqual(['registration and build skipped: status is a rollout command']);
  });
});

describe('problems of every stage, together', () => {
  test('registration, image and rollout problems in one error', () => {
    const found = problems({
      workspace: 'ws',
      'model-path': join('nowhere', 'model.onnx'),
      registry: 'not a registry!',
      context: join('nowhere', 'context'),
      rings: 'rings: [{name: canary}]',
    });
    const inputs = found.map(([input]) => input);
    expect(inputs).toEqual(
      expect.arrayContaining([
        'model-path',
        'subscription-id',
        'resource-group',
        'registry',
        'context',
        'rings',
      ]),
    );
    expect(inputs).not.toContain('image-ref');
  });

  test('a sign-in problem both Azure stages see is named once', () => {
    const found = problems({
      workspace: 'ws',
      'subscription-id': '5a4d1b7e-0000-4000-8000-00000000b002',
      'resource-group': 'rg',
      'model-path': join(REPO_ROOT, 'test', 'fixtures', 'model-project', 'model'),
      'image-ref': IMAGE_REF,
      'client-id': 'not-a-guid',
    });
    expect(found.filter(([input]) => input === 'client-id')).toHaveLength(1);
  });

  test('model-path without a workspace is a problem, not a silent skip', () => {
    expect(problems({ 'model-path': 'model', 'image-ref': IMAGE_REF })).toEqual([
      ['workspace', expect.stringMatching(/^is required to register model-path/)],
    ]);
  });

  test("a tag that is not semver: the trigger's problem, not the rollout's missing release", () => {
    const found = problems(
      { 'image-ref': IMAGE_REF },
      {
        ...RELEASE_RUN,
        ref: 'refs/tags/nightly',
        event: { action: 'published', release: { tag_name: 'nightly' } },
      },
    );
    expect(found).toEqual([
      ['release', expect.stringMatching(/the tag 'nightly' does not name a semantic version/)],
    ]);
  });
});
