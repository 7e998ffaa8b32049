import { describe, expect, test } from '@jest/globals';
import { InputError, parseInputs, parseKeyValues, splitList } from '../../../src/action/parse-inputs.js';

const reader = (values: Record<string, string>) => (name: string) => values[name];

describe('parseInputs', () => {
  test('applies defaults and types', () => {
    const inputs = parseInputs(
      'rollout',
      reader({ 'keep-releases': '5', force: 'true', platforms: 'linux/amd64\nlinux/arm64' }),
    );
    expect(inputs['keep-releases']).toBe(5);
    expect(inputs.force).toBe(true);
    expect(inputs['first-release']).toBe(false);
    expect(inputs.command).toBe('auto');
    expect(inputs.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(inputs['github-token']).toBeUndefined();
  });

  test.each([
    ['force', 'yes', /'force'.*not a boolean/],
    ['keep-releases', 'three', /'keep-releases'.*not a whole number/],
    ['keep-releases', '-1', /'keep-releases'.*negative/],
    ['command', 'deploy', /'command'.*not one of: auto, plan, start, promote, rollback, status/],
    ['module-env', 'NOEQUALS', /'module-env'.*not key=value/],
  ])('%s=%s is refused with a message naming the input', (name, value, message) => {
    expect(() => parseInputs('rollout', reader({ [name]: value }))).toThrow(message);
  });

  test('names every missing required input at once', () => {
    let error: unknown;
    try {
      parseInputs('register-model', reader({}));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems.map((p) => p.input)).toEqual(['workspace', 'model-path']);
  });
});

describe('list helpers', () => {
  test('split newlines and commas, dropping blanks', () => {
    expect(splitList(' a, b\n\n c ,')).toEqual(['a', 'b', 'c']);
    expect(parseKeyValues('a=1\nb = x=y')).toEqual({ a: '1', b: 'x=y' });
  });
});
