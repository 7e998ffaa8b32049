// The environment hash: what changes it (anything Docker would send but the model) and what does
// not (the model, .git, ignored files); the staged context with the model as a placeholder.
import { beforeEach, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDockerignore } from '../../../../src/image/fast-path/dockerignore.js';
import { contextEntries, stageContext } from '../../../../src/image/fast-path/context-files.js';
import { hashEnvironment, type EnvironmentInputs } from '../../../../src/image/fast-path/environment.js';
import { parseEnvironmentImage } from '../../../../src/image/fast-path/environment-reference.js';

let context: string;
let inputs: EnvironmentInputs;

function write(path: string, text: string): void {
  mkdirSync(join(context, path, '..'), { recursive: true });
  writeFileSync(join(context, path), text);
}

beforeEach(() => {
  context = mkdtempSync(join(tmpdir(), 'env-hash-'));
  write('Dockerfile', 'FROM b\nCOPY model /m\n');
  write('app/score.py', 'print(1)');
  write('model/weights.bin', 'w1');
  write('.git/HEAD', 'ref: main');
  inputs = {
    context,
    dockerfile: join(context, 'Dockerfile'),
    dockerfileText: 'FROM b\nCOPY model /m\n',
    model: 'model',
    modelKind: 'folder',
    buildArgs: ['A=1'],
    platforms: ['linux/amd64', 'linux/arm64'],
    destination: '/m',
  };
});

describe('hashEnvironment', () => {
  test('the model and .git do not count; the tag is env-<16 hex>', async () => {
    const before = await hashEnvironment(inputs);
    expect(before.tag).toMatch(/^env-[0-9a-f]{16}$/);
    write('model/weights.bin', 'w2');
    write('model/more.bin', 'x');
    write('.git/HEAD', 'ref: other');
    expect((await hashEnvironment(inputs)).hash).toBe(before.hash);
  });

  const changes: Array<[string, () => void]> = [
    ['a context file', () => write('app/score.py', 'print(2)')],
    ['a new file', () => write('app/util.py', '')],
    ['an empty folder', () => mkdirSync(join(context, 'empty'))],
    ['build args', () => (inputs = { ...inputs, buildArgs: ['A=2'] })],
    ['platforms', () => (inputs = { ...inputs, platforms: ['linux/amd64'] })],
    ['the Dockerfile', () => (inputs = { ...inputs, dockerfileText: 'FROM c\nCOPY model /m\n' })],
    ['the model destination', () => (inputs = { ...inputs, destination: '/n' })],
  ];
  test.each(changes)('changes with %s', async (_name, change) => {
    const before = (await hashEnvironment(inputs)).hash;
    change();
    expect((await hashEnvironment(inputs)).hash).not.toBe(before);
  });

  test('platform order does not matter', async () => {
    const a = await hashEnvironment(inputs);
    const b = await hashEnvironment({ ...inputs, platforms: [...inputs.platforms].reverse() });
    expect(b.hash).toBe(a.hash);
  });

  test('files the .dockerignore leaves out do not count', async () => {
    write('.dockerignore', 'notes/\n*.log\n');
    const before = (await hashEnvironment(inputs)).hash;
    write('notes/todo.md', 'x');
    write('build.log', 'y');
    expect((await hashEnvironment(inputs)).hash).toBe(before);
  });
});

describe('dockerignore', () => {
  test('simple patterns, folders and exceptions; last match wins', () => {
    const ignore = parseDockerignore('# c\n*.log\n/docs\n**/tmp\n!keep.log\n')!;
    expect(
      ['a.log', 'docs/x.md', 'src/tmp/x', 'tmp', 'keep.log', 'src/a.log'].map((p) => ignore.excludes(p)),
    ).toEqual([true, true, true, true, false, false]);
    expect(ignore.hasExceptions).toBe(true);
  });

  test('character classes are not read: nothing ignored (hash everything)', () => {
    expect(parseDockerignore('[ab].txt\n')).toBeUndefined();
  });
});

describe('stageContext', () => {
  test('copies the context, leaves out .git, and puts an empty placeholder where the model is', async () => {
    const entries = await contextEntries(context, 'model', { excludes: () => false, hasExceptions: false });
    const staged = await stageContext(context, entries, { path: 'model', kind: 'folder' });
    try {
      expect(readdirSync(staged).sort()).toEqual(['Dockerfile', 'app', 'model']);
      expect(readdirSync(join(staged, 'model'))).toEqual([]);
      expect(readFileSync(join(staged, 'app/score.py'), 'utf8')).toBe('print(1)');
      expect(statSync(join(staged, 'model')).isDirectory()).toBe(true);
    } finally {
      rmSync(staged, { recursive: true, force: true });
    }
  });

  test('a file model becomes an empty file', async () => {
    const staged = await stageContext(context, [], { path: 'models/net.onnx', kind: 'file' });
    expect(readFileSync(join(staged, 'models/net.onnx'), 'utf8')).toBe('');
    rmSync(staged, { recursive: true, force: true });
  });
});

describe('parseEnvironmentImage', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['reg.io/team/env:v1', { kind: 'registry', registry: 'reg.io', repository: 'team/env', reference: 'v1' }],
    [
      'localhost:5000/env',
      { kind: 'registry', registry: 'localhost:5000', repository: 'env', reference: 'latest' },
    ],
    ['app:env-1', { kind: 'registry', registry: 'my.io', repository: 'app', reference: 'env-1' }],
    [
      `app@sha256:${'a'.repeat(64)}`,
      { kind: 'registry', repository: 'app', reference: `sha256:${'a'.repeat(64)}` },
    ],
    ['oci:/tmp/layout:env', { kind: 'layout', dir: '/tmp/layout', reference: 'env' }],
    ['oci:./layout', { kind: 'layout', dir: './layout', reference: 'latest' }],
  ];
  test.each(cases)('%s', (text, reference) => {
    expect(parseEnvironmentImage(text, 'my.io').reference).toMatchObject(reference);
  });
  test('a bad digest is a problem', () => {
    expect(parseEnvironmentImage('app@sha256:12', 'my.io').problem).toMatch(/not a digest/);
  });
});
