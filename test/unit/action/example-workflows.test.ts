// The workflows in .github/workflows (the examples included) and the YAML snippets of README.md and
// docs/ may only use inputs and outputs that the actions have: every step that uses this project's
// actions (`./…` here, `<owner>/ml-to-iot-edge…@ref` in a user's repository) is checked against
// src/action/input-table.ts, so the docs cannot drift from the code.
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { type ActionName, inputsOf, outputsOf } from '../../../src/action/input-table.js';
import { ACTIONS } from '../../../src/action/metadata.js';
import { REPO_ROOT } from '../../support/paths.js';

const SUB_ACTIONS = new Map<string, ActionName>(
  (Object.keys(ACTIONS) as ActionName[]).filter((a) => a !== 'pipeline').map((a) => [ACTIONS[a].dir, a]),
);

/**
 * The action a `uses:` names, `undefined` when it is not one of ours, or an error text when it looks
 * like ours but names no action.
 */
function actionOfUses(uses: string): ActionName | undefined | { error: string } {
  const local = /^\.\/?(.*?)\/?$/.exec(uses);
  if (uses === '.' || uses.startsWith('./')) {
    const path = local?.[1] ?? '';
    if (path === '') return 'pipeline';
    return SUB_ACTIONS.get(path) ?? { error: `'${uses}' is no action of this repository` };
  }
  const remote = /^[^/@\s]+\/ml-to-iot-edge(?:\/([^@]*?))?\/?@(.+)$/.exec(uses);
  if (!remote) {
    return /ml-to-iot-edge/.test(uses) && !uses.startsWith('docker://')
      ? {
          error: `'${uses}' looks like this project's action but is not '<owner>/ml-to-iot-edge[/<sub-action>]@<ref>'`,
        }
      : undefined;
  }
  const sub = remote[1];
  if (!sub) return 'pipeline';
  return (
    SUB_ACTIONS.get(sub) ?? { error: `'${uses}' names no sub-action (${[...SUB_ACTIONS.keys()].join(', ')})` }
  );
}

interface StepUse {
  where: string;
  uses: string;
  id?: string;
  with: Record<string, unknown>;
}

/** Every object with a `uses` string below `node` (steps of full workflows and of fragments alike). */
function stepsWithUses(node: unknown, path: string, found: StepUse[] = []): StepUse[] {
  if (Array.isArray(node)) {
    node.forEach((item, index) => stepsWithUses(item, `${path}[${index}]`, found));
  } else if (node && typeof node === 'object') {
    const object = node as Record<string, unknown>;
    if (typeof object.uses === 'string') {
      const withBlock = object.with;
      found.push({
        where: path,
        uses: object.uses,
        ...(typeof object.id === 'string' ? { id: object.id } : {}),
        with: withBlock && typeof withBlock === 'object' ? (withBlock as Record<string, unknown>) : {},
      });
    }
    for (const [key, value] of Object.entries(object)) stepsWithUses(value, `${path}.${key}`, found);
  }
  return found;
}

/** Problems with the steps that use our actions in one parsed document. */
function problemsOf(doc: unknown, source: string): string[] {
  const problems: string[] = [];
  for (const step of stepsWithUses(doc, source)) {
    const action = actionOfUses(step.uses);
    if (action === undefined) continue;
    if (typeof action === 'object') {
      problems.push(`${step.where}: ${action.error}`);
      continue;
    }
    const known = new Set(inputsOf(action).map((input) => input.name));
    for (const key of Object.keys(step.with)) {
      if (!known.has(key)) problems.push(`${step.where}: ${step.uses} has no input '${key}'`);
    }
    if (action !== 'pipeline') {
      for (const input of inputsOf(action)) {
        if (input.requiredFor?.includes(action) && !(input.name in step.with))
          problems.push(`${step.where}: ${step.uses} needs '${input.name}'`);
      }
    }
  }
  return problems;
}

/** `steps.<id>.outputs.<name>` where `<id>` is a step using our action: `<name>` must be its output. */
function outputProblemsOfJob(job: unknown, source: string): string[] {
  const steps = stepsWithUses(job, source);
  const byId = new Map<string, ActionName>();
  for (const step of steps) {
    const action = actionOfUses(step.uses);
    if (step.id && typeof action === 'string') byId.set(step.id, action);
  }
  const text = JSON.stringify(job);
  const problems: string[] = [];
  for (const match of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
    const action = byId.get(match[1]!);
    if (action && !outputsOf(action).some((output) => output.name === match[2]))
      problems.push(`${source}: step '${match[1]}' (${action}) has no output '${match[2]}'`);
  }
  return problems;
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function markdownFiles(): string[] {
  const docs = join(REPO_ROOT, 'docs');
  const inDocs = existsSync(docs)
    ? readdirSync(docs, { recursive: true })
        .map(String)
        .filter((name) => name.endsWith('.md'))
        .map((name) => join(docs, name))
    : [];
  return [join(REPO_ROOT, 'README.md'), ...inDocs];
}

/** The ```yaml blocks of a Markdown file that use one of our actions, with their line numbers. */
function yamlBlocksUsingUs(file: string): { line: number; text: string }[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```ya?ml\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    const text = lines.slice(start, end).join('\n');
    if (/uses:\s*\S*ml-to-iot-edge/.test(text)) blocks.push({ line: start + 1, text });
    i = end;
  }
  return blocks;
}

const workflowsDir = join(REPO_ROOT, '.github', 'workflows');
const workflows = yamlFiles(workflowsDir).map((file) => relative(REPO_ROOT, file));

describe('actionOfUses', () => {
  test.each([
    ['./', 'pipeline'],
    ['.', 'pipeline'],
    ['./rollout', 'rollout'],
    ['./build-image/', 'build-image'],
    ['your-org/ml-to-iot-edge@v1', 'pipeline'],
    ['<owner>/ml-to-iot-edge@v1', 'pipeline'],
    ['your-org/ml-to-iot-edge/register-model@v1.2.0', 'register-model'],
    ['your-org/ml-to-iot-edge/rollout@0123456789abcdef0123456789abcdef01234567', 'rollout'],
    ['actions/checkout@v5', undefined],
    ['docker/setup-buildx-action@v3', undefined],
  ])('%s → %s', (uses, expected) => {
    expect(actionOfUses(uses)).toEqual(expected);
  });

  test.each(['./deploy', 'your-org/ml-to-iot-edge/deploy@v1', 'your-org/ml-to-iot-edge/rollout'])(
    '%s is refused',
    (uses) => {
      expect(actionOfUses(uses)).toEqual({ error: expect.any(String) });
    },
  );

  test('an unknown input and a missing required input are found', () => {
    const doc = parse(`
steps:
  - uses: your-org/ml-to-iot-edge/build-image@v1
    with: { image: x, registy: typo }
  - uses: your-org/ml-to-iot-edge@v1
    with: { registry: r, command: start }
`);
    expect(problemsOf(doc, 'doc')).toEqual([
      "doc.steps[0]: your-org/ml-to-iot-edge/build-image@v1 has no input 'registy'",
      "doc.steps[0]: your-org/ml-to-iot-edge/build-image@v1 needs 'registry'",
    ]);
  });

  test('an unknown output of a step is found', () => {
    const job = parse(`
steps:
  - id: image
    uses: your-org/ml-to-iot-edge/build-image@v1
    with: { registry: r }
  - run: echo \${{ steps.image.outputs.image-ref }} \${{ steps.image.outputs.image-digest }}
`);
    expect(outputProblemsOfJob(job, 'job')).toEqual([
      "job: step 'image' (build-image) has no output 'image-digest'",
    ]);
  });
});

describe('the README', () => {
  test('shows release-rollout.yml in full, as it is', () => {
    const example = readFileSync(join(workflowsDir, 'examples', 'release-rollout.yml'), 'utf8');
    const body = example.slice(example.indexOf('\nname:') + 1).trimEnd();
    expect(body.length).toBeGreaterThan(0);
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain('```yaml\n' + body + '\n```');
  });
});

describe('the examples exist', () => {
  test.each(['release-rollout.yml', 'rollout-rings.yml', 'build-matrix.yml'])('%s', (name) => {
    expect(workflows).toContain(join('.github', 'workflows', 'examples', name));
  });
});

describe.each(workflows)('%s', (file) => {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const doc = parse(text) as { on?: unknown; jobs?: Record<string, Record<string, unknown>> };

  test('is a workflow: a trigger and jobs that each run somewhere', () => {
    expect(doc.on).toBeDefined();
    expect(Object.keys(doc.jobs ?? {}).length).toBeGreaterThan(0);
    for (const [name, job] of Object.entries(doc.jobs ?? {})) {
      expect([name, 'runs-on' in job || 'uses' in job]).toEqual([name, true]);
    }
  });

  test("uses only inputs and outputs that this project's actions have", () => {
    const problems = problemsOf(doc, file);
    for (const [name, job] of Object.entries(doc.jobs ?? {}))
      problems.push(...outputProblemsOfJob(job, `${file} jobs.${name}`));
    expect(problems).toEqual([]);
  });

  test('jobs only depend on jobs that exist', () => {
    const jobs = doc.jobs ?? {};
    for (const [name, job] of Object.entries(jobs)) {
      const needs = job.needs === undefined ? [] : ([] as unknown[]).concat(job.needs);
      for (const need of needs) expect([name, need, String(need) in jobs]).toEqual([name, need, true]);
    }
  });
});

const markdownBlocks = markdownFiles()
  .filter((file) => existsSync(file))
  .flatMap((file) =>
    yamlBlocksUsingUs(file).map(
      (block) => [`${relative(REPO_ROOT, file)}:${block.line}`, block.text] as const,
    ),
  );

describe('YAML snippets in README.md and docs/', () => {
  test('README.md shows the actions in use', () => {
    expect(markdownBlocks.some(([where]) => where.startsWith('README.md:'))).toBe(true);
  });

  test.each(markdownBlocks)('%s parses and uses only existing inputs and outputs', (where, text) => {
    const docs = parseAllDocuments(text);
    for (const doc of docs) expect(doc.errors.map((error) => error.message)).toEqual([]);
    const problems = docs.flatMap((doc) => {
      const js = doc.toJS() as unknown;
      return [...problemsOf(js, where), ...outputProblemsOfJob(js, where)];
    });
    expect(problems).toEqual([]);
  });
});
