import { describe, expect, test } from '@jest/globals';
import { environmentName, flagReader, parseFlags } from '../../../src/cli/flags.js';

describe('CLI flags are the action inputs', () => {
  test('takes --name value, --name=value, bare booleans and --no-x', () => {
    const flags = parseFlags('rollout', [
      'plan',
      '--rings',
      'r.yml',
      '--keep-releases=4',
      '--force',
      '--no-first-release',
    ]);
    expect(flags.positionals).toEqual(['plan']);
    expect(Object.fromEntries(flags.values)).toEqual({
      rings: 'r.yml',
      'keep-releases': '4',
      force: 'true',
      'first-release': 'false',
    });
  });

  test('refuses unknown flags with a suggestion', () => {
    expect(() => parseFlags('rollout', ['--ring', 'x'])).toThrow(
      /'ring': unknown flag \(did you mean --rings\?\)/,
    );
    expect(() => parseFlags('rollout', ['--template'])).toThrow(/'template': needs a value/);
  });

  test('falls back to ML_TO_IOT_EDGE_* environment variables', () => {
    expect(environmentName('model-path')).toBe('ML_TO_IOT_EDGE_MODEL_PATH');
    const read = flagReader(parseFlags('rollout', ['--app', 'flag']), {
      ML_TO_IOT_EDGE_APP: 'env',
      ML_TO_IOT_EDGE_RELEASE: '1.2.3',
    });
    expect(read('app')).toBe('flag');
    expect(read('release')).toBe('1.2.3');
  });
});
