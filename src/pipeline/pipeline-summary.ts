// The pipeline's one job summary: a heading with the trigger, commit, run link and the lineage line
// (model name@version → image digest → deployment id), then each stage's own section, built by the
// stage's summary builder (registration, image, rollout report with its rings table and rollback).
// Built from outputs and stage summaries only, which never hold a secret.
import { factsTable } from '../markdown.js';
import type { RunInfo, StageResult } from '../stages/index.js';
import type { Trigger } from './trigger.js';

export interface PipelineStory {
  trigger: Trigger;
  run: RunInfo;
  app?: string;
  /** Steps not taken, as the log said them. */
  skipped: string[];
  model?: StageResult;
  /** The built image's outputs and section; absent when `image-ref` was given. */
  image?: StageResult;
  /** The `image-ref` input, when the image was not built here. */
  givenImageRef?: string;
  rollout?: StageResult;
  /** Why the run failed, when it did. */
  failure?: string;
}

const code = (text: string) => `\`${text.replaceAll('`', "'")}\``;

/** `image@digest` split into the image outputs, for an image given rather than built. */
export function givenImageOutputs(imageRef: string): { image: string; digest: string; 'image-ref': string } {
  const at = imageRef.lastIndexOf('@');
  return at > 0
    ? { image: imageRef.slice(0, at), digest: imageRef.slice(at + 1), 'image-ref': imageRef }
    : { image: imageRef, digest: '', 'image-ref': imageRef };
}

/** The union of the stages' outputs, under the names each stage uses on its own. */
export function pipelineOutputs(story: PipelineStory): Record<string, string> {
  return {
    ...story.model?.outputs,
    ...(story.givenImageRef ? givenImageOutputs(story.givenImageRef) : {}),
    ...story.image?.outputs,
    ...story.rollout?.outputs,
  };
}

/** "model `vision`@`3` → image `…@sha256:…` → deployment `vision-1_4_0`", from what is known. */
export function lineageLine(story: PipelineStory): string | undefined {
  const outputs = pipelineOutputs(story);
  const parts: string[] = [];
  if (outputs['model-name'] && outputs['model-version'])
    parts.push(`model ${code(outputs['model-name'])}@${code(outputs['model-version'])}`);
  if (outputs['image-ref']) parts.push(`image ${code(outputs['image-ref'])}`);
  if (outputs['deployment-id']) parts.push(`deployment ${code(outputs['deployment-id'])}`);
  return parts.length > 0 ? parts.join(' → ') : undefined;
}

function heading(story: PipelineStory): string[] {
  const { trigger, run } = story;
  const what = [
    story.app ? code(story.app) : undefined,
    trigger.release ? `release ${code(trigger.release)}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const state = story.rollout?.outputs.state;
  const icon = story.failure ? ' ❌' : state === 'completed' ? ' ✅' : '';
  const facts = [`Trigger: ${trigger.description}`];
  if (run.commit) facts.push(`commit ${code(run.commit.slice(0, 12))}`);
  if (run.runUrl) facts.push(`[workflow run](${run.runUrl})`);
  const lines = [`## ml-to-iot-edge${what ? `: ${what}` : ''}${icon}`, '', facts.join(' · ')];
  const lineage = lineageLine(story);
  if (lineage) lines.push('', `Lineage: ${lineage}`);
  if (story.failure) lines.push('', `**${story.failure.replaceAll('\n', ' ')}**`);
  if (story.skipped.length > 0) lines.push('', ...story.skipped.map((line) => `- ${line}`));
  return lines;
}

function givenImageSection(imageRef: string): string {
  const { image, digest } = givenImageOutputs(imageRef);
  return factsTable('### Inference image', [
    ['image', code(image)],
    ['digest', digest ? code(digest) : '(none)'],
    ['strategy', 'given as `image-ref` (not built in this run)'],
  ]);
}

/** The job summary (Markdown); the CLI prints the same text. */
export function renderPipelineSummary(story: PipelineStory): string {
  const sections = [
    heading(story).join('\n'),
    story.model?.summary,
    story.image?.summary ?? (story.givenImageRef ? givenImageSection(story.givenImageRef) : undefined),
    story.rollout?.summary,
  ];
  return sections.filter((section): section is string => Boolean(section)).join('\n\n') + '\n';
}
