import { describe, expect, test } from '@jest/globals';
import {
  appSlug,
  BASE_PRIORITY,
  deploymentId,
  isValidDeploymentId,
  MAX_ID_LENGTH,
  nextPriority,
  parseReleaseVersion,
} from '../../../src/rollout/index.js';

const HASHED = /-[0-9a-f]{8}$/;

describe('deploymentId', () => {
  // [app, release, id, or a pattern when a hash is appended]
  test.each<[string, string, string | RegExp]>([
    ['vision', '1.4.0', 'vision-1_4_0'],
    ['vision', 'v1.4.0', 'vision-1_4_0'],
    ['Vision App', 'v1.4.0+build.7', 'vision-app-1_4_0+build_7'],
    ['vision', '1.4.0-rc.1', 'vision-1_4_0-rc_1'],
    ['vision', '1.4.0-rc-1', 'vision-1_4_0-rc-1'],
    ['vision', '2024-05-01', 'vision-2024-05-01'],
    ['vision', 'vnext', 'vision-vnext'],
    ['my.org/Vision__App!', '1.0.0', 'my-org-vision__app-1_0_0'],
    ['--vision--', '1', 'vision-1'],
    // Lossy: upper case, `_`, or characters replaced → hash suffix.
    ['vision', '1.4.0-RC.1', /^vision-1_4_0-rc_1-[0-9a-f]{8}$/],
    ['vision', '1_4_0', /^vision-1_4_0-[0-9a-f]{8}$/],
    ['vision', 'feature/x y', /^vision-feature-x-y-[0-9a-f]{8}$/],
  ])('%j + %j', (app, release, expected) => {
    const id = deploymentId(app, release);
    if (typeof expected === 'string') expect(id).toBe(expected);
    else expect(id).toMatch(expected);
    expect(isValidDeploymentId(id)).toBe(true);
  });

  test('releases that normalise alike get different ids', () => {
    const ids = ['1.4.0', '1_4_0', '1.4.0-RC.1', '1.4.0-rc.1', '1.4.0-rc-1'].map((release) =>
      deploymentId('vision', release),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('is stable across runs, and v1.4.0 and 1.4.0 are the same release', () => {
    expect(deploymentId('vision', '1.4.0-RC.1')).toBe(deploymentId('vision', '1.4.0-RC.1'));
    expect(deploymentId('vision', 'v1.4.0-RC.1')).toBe(deploymentId('vision', '1.4.0-RC.1'));
  });

  test('long ids are truncated to 128 characters with a hash, and stay distinct', () => {
    const app = 'a'.repeat(100);
    const first = deploymentId(app, `1.0.0+${'x'.repeat(40)}1`);
    const second = deploymentId(app, `1.0.0+${'x'.repeat(40)}2`);
    expect(first).toHaveLength(MAX_ID_LENGTH);
    expect(first).toMatch(HASHED);
    expect(first).not.toBe(second);
    expect(isValidDeploymentId(first)).toBe(true);
  });

  test.each([
    ['', '1.0.0', /no letter or digit/],
    ['!!!', '1.0.0', /no letter or digit/],
    ['vision', '', /empty/],
    ['vision', '  ', /empty/],
  ])('refuses app %j with release %j', (app, release, message) => {
    expect(() => deploymentId(app, release)).toThrow(message);
  });

  test('appSlug', () => {
    expect(appSlug('Vision App')).toBe('vision-app');
    expect(appSlug('vision_app')).toBe('vision_app');
  });

  test.each([
    ['vision-1_4_0', true],
    ['Vision', false],
    ['vision-1.4.0', false],
    ['', false],
    ['x'.repeat(129), false],
    ["a:+%_#*?!(),=@;'", true],
  ])('isValidDeploymentId(%j) = %s', (id, valid) => {
    expect(isValidDeploymentId(id)).toBe(valid);
  });
});

describe('parseReleaseVersion', () => {
  test.each<[string, string | undefined]>([
    ['refs/tags/v1.4.0', '1.4.0'],
    ['refs/tags/1.4.0', '1.4.0'],
    ['refs/tags/V2.0.0-rc.1', '2.0.0-rc.1'],
    ['refs/tags/vision/v2.0.0', '2.0.0'],
    ['refs/tags/release-2024-05', 'release-2024-05'],
    ['refs/tags/vnext', 'vnext'],
    ['v1.4.0', '1.4.0'],
    [' v1.4.0 ', '1.4.0'],
    ['refs/heads/main', undefined],
    ['refs/pull/12/merge', undefined],
    ['refs/tags/', undefined],
    ['', undefined],
  ])('%j → %j', (ref, version) => {
    expect(parseReleaseVersion(ref)).toBe(version);
  });
});

describe('nextPriority', () => {
  test.each<[number[], number | undefined, number]>([
    [[], undefined, BASE_PRIORITY],
    [[10], undefined, 11],
    [[10, 14, 12], undefined, 15],
    [[3], undefined, BASE_PRIORITY],
    [[], 100, 100],
    [[100], 5, 101],
  ])('after %j (base %j) is %d', (priorities, base, expected) => {
    expect(nextPriority(priorities, base)).toBe(expected);
  });

  test('refuses a base below 1', () => {
    expect(() => nextPriority([], 0)).toThrow(/base priority/);
  });
});
