import { describe, expect, test } from '@jest/globals';
import { resolveTrigger, type TriggerSource } from '../../../src/pipeline/trigger.js';

const release = (action: string, tag: string): TriggerSource => ({
  eventName: 'release',
  payload: { action, release: { tag_name: tag } },
  ref: `refs/tags/${tag}`,
  command: 'auto',
});
const push = (ref: string): TriggerSource => ({ eventName: 'push', payload: {}, ref, command: 'auto' });
const dispatch = (inputs: Record<string, string>, command = 'auto'): TriggerSource => ({
  eventName: 'workflow_dispatch',
  payload: { inputs },
  ref: 'refs/heads/main',
  command,
});

describe('the trigger', () => {
  test.each<
    [string, TriggerSource, { release?: string; command: string; rolloutOnly: boolean; description: string }]
  >([
    [
      'published release',
      release('published', 'v1.2.3'),
      { release: '1.2.3', command: 'auto', rolloutOnly: false, description: 'release v1.2.3 published' },
    ],
    [
      'released',
      release('released', 'v2.0.0'),
      { release: '2.0.0', command: 'auto', rolloutOnly: false, description: 'release v2.0.0 released' },
    ],
    [
      'prereleased',
      release('prereleased', 'v2.0.0-rc.1'),
      {
        release: '2.0.0-rc.1',
        command: 'auto',
        rolloutOnly: false,
        description: 'release v2.0.0-rc.1 prereleased',
      },
    ],
    [
      'created, no v',
      release('created', '1.0.0'),
      { release: '1.0.0', command: 'auto', rolloutOnly: false, description: 'release 1.0.0 created' },
    ],
    [
      'monorepo release tag',
      release('published', 'vision/v1.4.0'),
      {
        release: '1.4.0',
        command: 'auto',
        rolloutOnly: false,
        description: 'release vision/v1.4.0 published',
      },
    ],
    [
      'pushed tag',
      push('refs/tags/v1.2.3'),
      { release: '1.2.3', command: 'auto', rolloutOnly: false, description: 'tag v1.2.3 pushed' },
    ],
    [
      'pushed monorepo tag',
      push('refs/tags/app/v1.2.3+build.7'),
      {
        release: '1.2.3+build.7',
        command: 'auto',
        rolloutOnly: false,
        description: 'tag app/v1.2.3+build.7 pushed',
      },
    ],
    [
      'pushed branch: no release',
      push('refs/heads/main'),
      { command: 'auto', rolloutOnly: false, description: 'push on refs/heads/main' },
    ],
    [
      'release input wins',
      { ...release('published', 'v1.2.3'), release: 'v9.9.9' },
      { release: '9.9.9', command: 'auto', rolloutOnly: false, description: 'release v1.2.3 published' },
    ],
    [
      'no event at all (CLI)',
      { release: '1.0.0' },
      { release: '1.0.0', command: 'auto', rolloutOnly: false, description: 'manual run' },
    ],
    [
      'dispatch status',
      dispatch({ command: 'status' }),
      { command: 'status', rolloutOnly: true, description: 'workflow_dispatch: status' },
    ],
    [
      'dispatch promote with a release',
      dispatch({ command: 'promote', release: 'v1.2.3' }),
      { release: '1.2.3', command: 'promote', rolloutOnly: true, description: 'workflow_dispatch: promote' },
    ],
    [
      'dispatch rollback',
      dispatch({ command: 'rollback' }),
      { command: 'rollback', rolloutOnly: true, description: 'workflow_dispatch: rollback' },
    ],
    [
      'dispatch plan',
      dispatch({ command: 'plan', release: '1.3.0' }),
      { release: '1.3.0', command: 'plan', rolloutOnly: true, description: 'workflow_dispatch: plan' },
    ],
    [
      'dispatch auto: the whole pipeline',
      dispatch({ command: 'auto', release: '1.3.0' }),
      { release: '1.3.0', command: 'auto', rolloutOnly: false, description: 'workflow_dispatch: auto' },
    ],
    [
      'the command input wins over the dispatch',
      dispatch({ command: 'rollback' }, 'status'),
      { command: 'status', rolloutOnly: true, description: 'workflow_dispatch: status' },
    ],
    [
      'command input on a release',
      { ...release('published', 'v1.2.3'), command: 'plan' },
      { release: '1.2.3', command: 'plan', rolloutOnly: true, description: 'release v1.2.3 published' },
    ],
  ])('%s', (_name, source, expected) => {
    const trigger = resolveTrigger(source);
    expect(trigger.problems).toEqual([]);
    expect({
      ...(trigger.release ? { release: trigger.release } : {}),
      command: trigger.command,
      rolloutOnly: trigger.rolloutOnly,
      description: trigger.description,
    }).toEqual(expected);
  });

  test.each<[string, string, TriggerSource, RegExp]>([
    [
      'a release tag that is not semver',
      'release',
      release('published', 'nightly'),
      /the tag 'nightly' does not name a semantic version.*v<major>\.<minor>\.<patch>.*or set the release input/,
    ],
    [
      'a pushed tag that is not semver',
      'release',
      push('refs/tags/v1.2'),
      /the tag 'v1\.2' does not name a semantic version \(got '1\.2'\)/,
    ],
    [
      'a release input that is not semver',
      'release',
      { release: 'latest' },
      /'latest' is not a semantic version: give <major>\.<minor>\.<patch>/,
    ],
    [
      'a deleted release',
      'release',
      release('deleted', 'v1.2.3'),
      /a release 'deleted' event does not start a rollout: trigger the workflow on release types published/,
    ],
    [
      'an unknown dispatch command',
      'command',
      dispatch({ command: 'deploy' }),
      /the workflow_dispatch input command is 'deploy': use one of status, promote, rollback, plan/,
    ],
  ])('%s is a problem of %s', (_name, input, source, message) => {
    const { problems } = resolveTrigger(source);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.input).toBe(input);
    expect(problems[0]!.message).toMatch(message);
  });
});
