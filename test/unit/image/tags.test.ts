import { describe, expect, test } from '@jest/globals';
import { deriveTags, semverTags, type TagSource } from '../../../src/image/tags.js';

const SHA = '0123abcd4567ef890123abcd4567ef8901234567';

describe('deriveTags', () => {
  // [case, source, tags, version]
  test.each<[string, Omit<TagSource, 'latest'> & { latest?: boolean }, string[], string | undefined]>([
    // Release tags: semver → full, minor, major.
    ['release tag', { ref: 'refs/tags/v1.4.0', commit: SHA }, ['1.4.0', '1.4', '1', 'sha-0123abc'], '1.4.0'],
    ['release tag without v', { ref: 'refs/tags/1.4.0' }, ['1.4.0', '1.4', '1'], '1.4.0'],
    ['release tag, upper-case V', { ref: 'refs/tags/V2.10.3' }, ['2.10.3', '2.10', '2'], '2.10.3'],
    ['monorepo release tag', { ref: 'refs/tags/vision/v2.0.0' }, ['2.0.0', '2.0', '2'], '2.0.0'],
    ['major 0: no bare 0 tag', { ref: 'refs/tags/v0.3.2' }, ['0.3.2', '0.3'], '0.3.2'],
    [
      'build metadata is dropped',
      { ref: 'refs/tags/v1.4.0+build.7' },
      ['1.4.0', '1.4', '1'],
      '1.4.0+build.7',
    ],
    // Pre-releases: their full version only.
    [
      'release candidate',
      { ref: 'refs/tags/v2.0.0-rc.1', commit: SHA },
      ['2.0.0-rc.1', 'sha-0123abc'],
      '2.0.0-rc.1',
    ],
    [
      'alpha with build metadata',
      { ref: 'refs/tags/v1.0.0-alpha+exp.sha.5114f85' },
      ['1.0.0-alpha'],
      '1.0.0-alpha+exp.sha.5114f85',
    ],
    ['pre-release with hyphens', { ref: 'refs/tags/v3.1.0-beta-2' }, ['3.1.0-beta-2'], '3.1.0-beta-2'],
    // Tags that are not semver: the tag itself, cleaned.
    ['non-semver tag', { ref: 'refs/tags/nightly' }, ['nightly'], 'nightly'],
    ['two-part version', { ref: 'refs/tags/v2024.05' }, ['2024.05'], '2024.05'],
    ['leading zero is not semver', { ref: 'refs/tags/v01.2.3' }, ['01.2.3'], '01.2.3'],
    // The release input wins over the ref.
    [
      'release input on a branch',
      { ref: 'refs/heads/main', release: 'v1.5.0', commit: SHA },
      ['1.5.0', '1.5', '1', 'sha-0123abc'],
      '1.5.0',
    ],
    [
      'release input over a tag',
      { ref: 'refs/tags/v9.9.9', release: '1.0.0' },
      ['1.0.0', '1.0', '1'],
      '1.0.0',
    ],
    // Branches.
    ['main branch', { ref: 'refs/heads/main', commit: SHA }, ['main', 'sha-0123abc'], undefined],
    [
      'feature branch with a slash',
      { ref: 'refs/heads/feature/new-model' },
      ['feature-new-model'],
      undefined,
    ],
    ['branch with odd characters', { ref: 'refs/heads/Fix #12: löss' }, ['Fix-12-l-ss'], undefined],
    ['branch starting with a dot', { ref: 'refs/heads/.hidden' }, ['hidden'], undefined],
    ['very long branch', { ref: `refs/heads/${'b'.repeat(200)}` }, ['b'.repeat(128)], undefined],
    // Pull requests.
    [
      'pull request merge ref',
      { ref: 'refs/pull/42/merge', commit: SHA },
      ['pr-42', 'sha-0123abc'],
      undefined,
    ],
    ['pull request head ref', { ref: 'refs/pull/7/head' }, ['pr-7'], undefined],
    // Shas.
    ['commit only', { commit: SHA }, ['sha-0123abc'], undefined],
    ['upper-case sha', { commit: SHA.toUpperCase() }, ['sha-0123abc'], undefined],
    ['short sha', { commit: 'abc1234' }, ['sha-abc1234'], undefined],
    ['not a sha: ignored', { ref: 'refs/heads/main', commit: 'HEAD' }, ['main'], undefined],
    // latest: only when asked.
    [
      'latest on a release',
      { ref: 'refs/tags/v1.4.0', latest: true },
      ['1.4.0', '1.4', '1', 'latest'],
      '1.4.0',
    ],
    ['latest on a branch', { ref: 'refs/heads/main', latest: true }, ['main', 'latest'], undefined],
    // Explicit tags replace the derived ones.
    [
      'explicit tags',
      { ref: 'refs/tags/v1.4.0', commit: SHA, explicit: ['stable', 'v1'] },
      ['stable', 'v1'],
      '1.4.0',
    ],
    [
      'explicit tags and latest, deduplicated',
      { explicit: ['latest', 'x'], latest: true },
      ['latest', 'x'],
      undefined,
    ],
  ])('%s', (_name, source, tags, version) => {
    const derived = deriveTags({ latest: false, ...source });
    expect(derived.tags).toEqual(tags);
    expect(derived.version).toBe(version);
  });

  test.each<[string, TagSource, RegExp]>([
    ['nothing to derive from', { latest: false }, /no tag to push/],
    ['a remote-tracking ref only', { ref: 'refs/remotes/origin/main', latest: false }, /no tag to push/],
    [
      'an explicit tag with a colon',
      { explicit: ['app:1.0'], latest: false },
      /not a tag.*repository comes from/,
    ],
    ['an explicit tag starting with a dot', { explicit: ['.x'], latest: false }, /not starting with \. or -/],
    [
      'an explicit tag of 129 characters',
      { explicit: ['a'.repeat(129)], latest: false },
      /129 characters; at most 128/,
    ],
    ['an explicit tag with a space', { explicit: ['v1 .0'], latest: false }, /not a tag/],
  ])('refuses %s', (_name, source, message) => {
    expect(() => deriveTags(source)).toThrow(message);
  });
});

describe('semverTags', () => {
  test.each<[string, string[] | undefined]>([
    ['1.2.3', ['1.2.3', '1.2', '1']],
    ['0.0.1', ['0.0.1', '0.0']],
    ['10.20.30-rc.1+b.2', ['10.20.30-rc.1']],
    ['1.2', undefined],
    ['v1.2.3', undefined],
    ['1.2.3.4', undefined],
  ])('%s', (version, tags) => {
    expect(semverTags(version)).toEqual(tags);
  });
});
