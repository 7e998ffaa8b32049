// The pipeline's one job summary: a heading with the trigger, commit, run link and the lineage line
// (model name@version → image digest → deployment id), then each stage's own section, built by the
// stage's summary builder (registration, image, rollout report with its rings table and rollback).
// Built from outputs and stage summaries only, which never hold a secret. The same story renders as
// text for a terminal (`ml-to-iot-edge run`): the rollout's own text report, the other sections'
// facts tables as aligned lines.
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

/** How the summary is written: Markdown for the job summary, plain text for a terminal. */
interface Style {
  code(text: string): string;
  link(text: string, url: string): string;
  title(text: string): string;
  failure(text: string): string;
  /** ✅ / ❌ after the title (Markdown only: the text says the state in words). */
  icons: boolean;
  /** Between the heading's paragraphs. */
  gap: string;
  /** A stage's section in this style. */
  section(result: StageResult): string | undefined;
}

const MARKDOWN: Style = {
  code: (text) => `\`${text.replaceAll('`', "'")}\``,
  link: (text, url) => `[${text}](${url})`,
  title: (text) => `## ${text}`,
  failure: (text) => `**${text.replaceAll('\n', ' ')}**`,
  icons: true,
  gap: '\n\n',
  section: (result) => result.summary,
};

const TEXT: Style = {
  code: (text) => text,
  link: (text, url) => `${text} ${url}`,
  title: (text) => text,
  failure: (text) => `FAILED: ${text}`,
  icons: false,
  gap: '\n',
  // A stage's own text (the rollout report), else its facts table as text.
  section: (result) => result.text ?? (result.summary ? factsTableText(result.summary) : undefined),
};

const code = MARKDOWN.code;

/** `image@digest` split into the image outputs, for an image given rather than built. */
function givenImageOutputs(imageRef: string): { image: string; digest: string; 'image-ref': string } {
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
export function lineageLine(story: PipelineStory, { code } = MARKDOWN): string | undefined {
  const outputs = pipelineOutputs(story);
  const parts: string[] = [];
  if (outputs['model-name'] && outputs['model-version'])
    parts.push(`model ${code(outputs['model-name'])}@${code(outputs['model-version'])}`);
  if (outputs['image-ref']) parts.push(`image ${code(outputs['image-ref'])}`);
  if (outputs['deployment-id']) parts.push(`deployment ${code(outputs['deployment-id'])}`);
  return parts.length > 0 ? parts.join(' → ') : undefined;
}

/** The heading's paragraphs: title, trigger facts, lineage, failure, the steps not taken. */
function heading(story: PipelineStory, style: Style): string[][] {
  const { trigger, run } = story;
  const { code } = style;
  const what = [
    story.app ? code(story.app) : undefined,
    trigger.release ? `release ${code(trigger.release)}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const state = story.rollout?.outputs.state;
  const icon = !style.icons ? '' : story.failure ? ' ❌' : state === 'completed' ? ' ✅' : '';
  const facts = [`Trigger: ${trigger.description}`];
  if (run.commit) facts.push(`commit ${code(run.commit.slice(0, 12))}`);
  if (run.runUrl) facts.push(style.link('workflow run', run.runUrl));
  const paragraphs = [[style.title(`ml-to-iot-edge${what ? `: ${what}` : ''}${icon}`)], [facts.join(' · ')]];
  const lineage = lineageLine(story, style);
  if (lineage) paragraphs.push([`Lineage: ${lineage}`]);
  if (story.failure) paragraphs.push([style.failure(story.failure)]);
  if (story.skipped.length > 0) paragraphs.push(story.skipped.map((line) => `- ${line}`));
  return paragraphs;
}

function givenImageSection(imageRef: string): string {
  const { image, digest } = givenImageOutputs(imageRef);
  return factsTable('### Inference image', [
    ['image', code(image)],
    ['digest', digest ? code(digest) : '(none)'],
    ['strategy', 'given as `image-ref` (not built in this run)'],
  ]);
}

/** The sections after the heading: registration, image (built or given), rollout report. */
function sections(story: PipelineStory): (StageResult | undefined)[] {
  const given = story.givenImageRef;
  return [
    story.model,
    story.image ??
      (given ? { outputs: givenImageOutputs(given), summary: givenImageSection(given) } : undefined),
    story.rollout,
  ];
}

function render(story: PipelineStory, style: Style): string {
  const parts = [
    heading(story, style)
      .map((paragraph) => paragraph.join('\n'))
      .join(style.gap),
    ...sections(story).map((section) => section && style.section(section)),
  ];
  return parts.filter((part): part is string => Boolean(part)).join('\n\n') + '\n';
}

/** The job summary (Markdown). */
export function renderPipelineSummary(story: PipelineStory): string {
  return render(story, MARKDOWN);
}

/** The same story as text for a terminal (`ml-to-iot-edge run`). */
export function renderPipelineText(story: PipelineStory): string {
  return render(story, TEXT);
}

/**
 * A facts table (src/markdown.ts) as text: the title, then `label: value` lines with the labels
 * aligned, code marks dropped and links as their address. Other lines keep their words.
 */
export function factsTableText(markdown: string): string {
  const plain = (text: string) =>
    text
      .replace(/\[[^\]]*\]\(([^)\s]+)\)/g, '$1')
      .replace(/\*\*(.+?)\*\*/g, '$1')
      .replaceAll('`', '');
  const lines = markdown
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\|[\s|:-]*\|$/.test(line)) // blank, empty header, separator
    .map((line) => {
      const row = /^\| (.*?) \| (.*) \|$/.exec(line);
      return row ? { label: plain(row[1]!), value: plain(row[2]!) } : plain(line.replace(/^#+ /, ''));
    });
  const width = Math.max(0, ...lines.map((line) => (typeof line === 'string' ? 0 : line.label.length)));
  return lines
    .map((line) =>
      typeof line === 'string' ? line : `  ${`${line.label}:`.padEnd(width + 1)} ${line.value}`,
    )
    .join('\n');
}
