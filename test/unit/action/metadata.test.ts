import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { ACTION_NAMES, INPUTS, OUTPUTS, inputsOf, outputsOf } from '../../../src/action/input-table.js';
import { ACTIONS, actionYaml } from '../../../src/action/metadata.js';
import { REPO_ROOT, SHARED } from '../../support/paths.js';

const schema = JSON.parse(readFileSync(join(SHARED, 'schemas', 'github-action.json'), 'utf8'));
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

interface ActionFile {
  inputs: Record<string, { description: string; required: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

describe.each(ACTION_NAMES)('%s/action.yml', (action) => {
  const dir = join(REPO_ROOT, ACTIONS[action].dir);
  const text = readFileSync(join(dir, 'action.yml'), 'utf8');
  const doc = parse(text) as ActionFile;

  test('is valid against the official action.yml schema', () => {
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
  });

  test('declares exactly the inputs of the table, with their defaults and descriptions', () => {
    const expected = Object.fromEntries(
      inputsOf(action).map((spec) => [
        spec.name,
        {
          description: spec.description,
          required: Boolean(spec.requiredFor?.includes(action)),
          ...(spec.default !== undefined ? { default: spec.default } : {}),
        },
      ]),
    );
    expect(doc.inputs).toEqual(expected);
  });

  test('declares exactly the outputs of the table', () => {
    expect(Object.keys(doc.outputs)).toEqual(outputsOf(action).map((o) => o.name));
  });

  test('runs on node24 from a committed bundle', () => {
    expect(doc.runs.using).toBe('node24');
    expect(existsSync(join(dir, doc.runs.main))).toBe(true);
  });

  test('is what `npm run generate` writes', () => {
    expect(text).toBe(actionYaml(action));
  });
});

describe('the input table', () => {
  test('uses lower-case kebab-case names, each once', () => {
    const names = [...INPUTS, ...OUTPUTS].map((x) => x.name);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    expect(new Set(INPUTS.map((i) => i.name)).size).toBe(INPUTS.length);
    expect(new Set(OUTPUTS.map((o) => o.name)).size).toBe(OUTPUTS.length);
  });

  test('gives booleans a string default and choices a listed default', () => {
    for (const spec of INPUTS) {
      if (spec.type === 'boolean') expect(['true', 'false']).toContain(spec.default);
      if (spec.type === 'choice' && spec.default) expect(spec.choices).toContain(spec.default);
    }
  });

  test('gives the root action the union of the sub-actions, outputs under the same names', () => {
    expect(
      inputsOf('pipeline')
        .map((i) => i.name)
        .sort(),
    ).toEqual(INPUTS.map((i) => i.name).sort());
    const subOutputs = ACTION_NAMES.filter((a) => a !== 'pipeline').flatMap((a) =>
      outputsOf(a).map((o) => o.name),
    );
    expect(
      outputsOf('pipeline')
        .map((o) => o.name)
        .sort(),
    ).toEqual([...new Set(subOutputs)].sort());
  });

  test('lists every generated input and output in the README', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    for (const spec of [...INPUTS, ...OUTPUTS]) expect(readme).toContain(`| \`${spec.name}\``);
  });
});
