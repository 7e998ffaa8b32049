import { describe, expect, test } from '@jest/globals';
import { canonicalPlatform, missingPlatforms, parsePlatform } from '../../../src/image/platforms.js';
import {
  acrName,
  digestProblem,
  isAcrLoginServer,
  registryProblem,
  repositoryProblem,
  sanitizeTag,
  tagProblem,
} from '../../../src/image/reference.js';

describe('parsePlatform', () => {
  test.each<[string, string]>([
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm/v7', 'linux/arm/v7'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/v6', 'linux/arm/v6'],
    ['linux/amd64/v2', 'linux/amd64/v2'],
    ['linux/amd64/v1', 'linux/amd64'],
    ['  linux/s390x ', 'linux/s390x'],
  ])('%j → %s', (text, platform) => {
    expect(parsePlatform(text)).toEqual({ platform });
  });

  test.each<[string, RegExp]>([
    ['linux/amd65', /did you mean linux\/amd64\?/],
    ['linux/aarch64', /did you mean linux\/arm64\?/],
    ['aarch64', /did you mean linux\/arm64\?/],
    ['linux/armv7', /did you mean linux\/arm\/v7\?/],
    ['arm32v7', /did you mean linux\/arm\/v7\?/],
    ['linux/x86_64', /did you mean linux\/amd64\?/],
    ['amd64', /write os\/architecture.*did you mean linux\/amd64\?/],
    ['Linux/AMD64', /did you mean linux\/amd64\?/],
    ['windows/amd64', /IoT Edge runs Linux containers/],
    ['linux/arm/v9', /not a platform this tool builds/],
    ['linux//arm64', /not a platform/],
    ['linux/arm64/v8/x', /not a platform/],
  ])('refuses %j', (text, message) => {
    expect(parsePlatform(text).error).toMatch(message);
  });

  test('compares platforms in their canonical spelling', () => {
    expect(canonicalPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64');
    expect(canonicalPlatform('linux/amd64*')).toBe('linux/amd64');
    expect(canonicalPlatform({ os: 'unknown', architecture: 'unknown' })).toBeUndefined();
    expect(
      missingPlatforms(
        ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
        ['linux/amd64', 'linux/arm64/v8', 'unknown/unknown'],
      ),
    ).toEqual(['linux/arm/v7']);
  });
});

describe('names', () => {
  test.each<[string, RegExp | undefined]>([
    ['myacr.azurecr.io', undefined],
    ['localhost:5000', undefined],
    ['127.0.0.1:5443', undefined],
    ['[::1]:5000', undefined],
    ['ghcr.io', undefined],
    ['https://myacr.azurecr.io', /is a URL: give the host only, e.g. 'myacr.azurecr.io'/],
    ['myacr.azurecr.io/team', /has a path: give the host only \('myacr.azurecr.io'\) and put 'team\/'/],
    ['my_registry', /not a registry host/],
    ['registry:99999', /above 65535/],
  ])('registry %j', (registry, problem) => {
    const found = registryProblem(registry);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });

  test.each<[string, RegExp | undefined]>([
    ['vision', undefined],
    ['team/vision-model', undefined],
    ['a/b/c__d.e', undefined],
    ['Vision', /repository names are lower-case \('vision'\)/],
    ['vision:1.0', /includes a tag or digest: give the repository only \('vision'\)/],
    ['vision@sha256:abc', /includes a tag or digest/],
    ['team//vision', /empty path component/],
    ['-vision', /component '-vision'/],
    ['vision model', /not a repository name/],
  ])('repository %j', (repository, problem) => {
    const found = repositoryProblem(repository);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });

  test('tags, digests and cleaned tags', () => {
    expect(tagProblem('1.4.0')).toBeUndefined();
    expect(tagProblem('_x')).toBeUndefined();
    expect(tagProblem('-x')).toMatch(/not starting with/);
    expect(digestProblem(`sha256:${'a'.repeat(64)}`)).toBeUndefined();
    expect(digestProblem('sha256:abc')).toMatch(/64 hex digits/);
    expect(sanitizeTag('feature/ä b')).toBe('feature-b');
    expect(sanitizeTag('--x--')).toBe('x');
  });

  test('Azure Container Registry login servers', () => {
    expect(isAcrLoginServer('MyAcr.azurecr.io')).toBe(true);
    expect(isAcrLoginServer('myacr.azurecr.cn')).toBe(true);
    expect(isAcrLoginServer('ghcr.io')).toBe(false);
    expect(acrName('MyAcr.azurecr.io')).toBe('myacr');
    expect(acrName('myacr-b7e2c4dtfxg2.azurecr.io')).toBe('myacr');
    expect(acrName('localhost:5000')).toBeUndefined();
  });
});
