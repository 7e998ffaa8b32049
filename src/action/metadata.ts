// action.yml files and README tables, generated from the input table so they can never drift.
import { stringify } from 'yaml';
import { type ActionName, INPUTS, OUTPUTS, inputsOf, outputsOf } from './input-table.js';

interface ActionInfo {
  dir: string;
  name: string;
  description: string;
}

export const ACTIONS: Record<ActionName, ActionInfo> = {
  pipeline: {
    dir: '.',
    name: 'ML to IoT Edge',
    description:
      'Register a model in Azure ML, build its multi-arch inference image, and roll it out to IoT Edge devices ring by ring with health gates and automatic rollback.',
  },
  'register-model': {
    dir: 'register-model',
    name: 'ML to IoT Edge: register model',
    description:
      'Register a model file or folder in an Azure Machine Learning workspace, uploading only new content.',
  },
  'build-image': {
    dir: 'build-image',
    name: 'ML to IoT Edge: build image',
    description: 'Build and push a multi-arch inference image with docker buildx and output its digest.',
  },
  rollout: {
    dir: 'rollout',
    name: 'ML to IoT Edge: rollout',
    description: 'Roll an IoT Edge deployment out ring by ring with health gates and automatic rollback.',
  },
};

/** Actions with a post step: it logs docker out of the registries the build logged in to. */
export const ACTIONS_WITH_POST: readonly ActionName[] = ['pipeline', 'build-image'];

export const GENERATED_HEADER =
  '# Generated from src/action/input-table.ts by `npm run generate`: edit the table, not this file.\n';

/** The action.yml text of one action. */
export function actionYaml(action: ActionName): string {
  const info = ACTIONS[action];
  const inputs = Object.fromEntries(
    inputsOf(action).map((spec) => {
      const entry: Record<string, unknown> = {
        description: spec.description,
        required: Boolean(spec.requiredFor?.includes(action)),
      };
      if (spec.default !== undefined) entry.default = spec.default;
      return [spec.name, entry];
    }),
  );
  const outputs = Object.fromEntries(
    outputsOf(action).map((spec) => [spec.name, { description: spec.description }]),
  );
  const main = action === 'pipeline' ? 'dist/pipeline/index.js' : `../dist/${action}/index.js`;
  const doc = {
    name: info.name,
    description: info.description,
    author: 'ml-to-iot-edge',
    branding: { icon: 'cpu', color: 'blue' },
    inputs,
    outputs,
    runs: ACTIONS_WITH_POST.includes(action)
      ? { using: 'node24', main, post: main }
      : { using: 'node24', main },
  };
  return GENERATED_HEADER + stringify(doc, { lineWidth: 0 });
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function usedBy(actions: readonly ActionName[]): string {
  return actions.map((a) => `\`${a}\``).join(', ');
}

/** Markdown tables of inputs and outputs for the README. */
export function readmeTables(): { inputs: string; outputs: string } {
  const inputs = [
    '| input | default | sub-actions | description |',
    '|---|---|---|---|',
    ...INPUTS.map(
      (spec) =>
        `| \`${spec.name}\`${spec.secret ? ' 🔒' : ''} | ${spec.default !== undefined ? `\`${cell(spec.default)}\`` : ''} | ${usedBy(spec.actions)} | ${cell(spec.description)}${spec.choices ? ` One of: ${spec.choices.map((c) => `\`${c}\``).join(', ')}.` : ''}${spec.requiredFor?.length ? ` **Required** for ${usedBy(spec.requiredFor)}.` : ''} |`,
    ),
  ].join('\n');
  const outputs = [
    '| output | sub-action | description |',
    '|---|---|---|',
    ...OUTPUTS.map((spec) => `| \`${spec.name}\` | ${usedBy(spec.actions)} | ${cell(spec.description)} |`),
  ].join('\n');
  return { inputs, outputs };
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` markers. */
export function replaceBetweenMarkers(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README has no ${start} ... ${end} markers`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}
