// OCI image labels (the annotation keys of the OCI image spec) added to every build, and the
// `key=value` lists of the labels and build-args inputs.
import type { RunInfo } from '../stages/index.js';

export const MODEL_NAME_LABEL = 'ml-to-iot-edge.model.name';
export const MODEL_VERSION_LABEL = 'ml-to-iot-edge.model.version';

export interface LabelFacts {
  run: RunInfo;
  /** Release version, else the first tag. */
  version?: string;
  title: string;
  /** When the build started (ISO 8601). */
  created: string;
  modelName?: string;
  modelVersion?: string;
}

/** The repository's web address: from the run URL (any GitHub server), else github.com. */
export function sourceUrl(run: RunInfo): string | undefined {
  const fromRun = run.runUrl ? /^(.*)\/actions\/runs\/[^/]+$/.exec(run.runUrl)?.[1] : undefined;
  if (fromRun) return fromRun;
  return run.repository ? `https://github.com/${run.repository}` : undefined;
}

/** The labels every image gets; a `labels` input with the same key wins. */
export function defaultLabels(facts: LabelFacts): Array<[string, string]> {
  const labels: Array<[string, string | undefined]> = [
    ['org.opencontainers.image.title', facts.title],
    ['org.opencontainers.image.source', sourceUrl(facts.run)],
    ['org.opencontainers.image.revision', facts.run.commit],
    ['org.opencontainers.image.version', facts.version],
    ['org.opencontainers.image.created', facts.created],
    [MODEL_NAME_LABEL, facts.modelName],
    [MODEL_VERSION_LABEL, facts.modelVersion],
  ];
  return labels.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '');
}

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const COMMA_HINT = ' (list items are split at commas and newlines: a value cannot contain a comma)';

/** `key=value` labels; the problem of each bad item. */
export function parseLabels(items: readonly string[]): {
  labels: Array<[string, string]>;
  problems: string[];
} {
  const labels: Array<[string, string]> = [];
  const problems: string[] = [];
  for (const item of items) {
    const at = item.indexOf('=');
    const key = at < 0 ? item : item.slice(0, at).trim();
    if (at < 0 || !LABEL_KEY.test(key)) {
      problems.push(
        `'${item}' is not key=value with a key of letters, digits, '.', '-', '_' or '/'${at < 0 ? COMMA_HINT : ''}`,
      );
      continue;
    }
    labels.push([key, item.slice(at + 1).trim()]);
  }
  return { labels, problems };
}

/**
 * `NAME=value` build arguments. A bare `NAME` (docker's "from the environment") is refused: after the
 * list input's comma split it is more often the tail of a value (`LIST=a,b`) than meant.
 */
export function parseBuildArgs(items: readonly string[]): { buildArgs: string[]; problems: string[] } {
  const buildArgs: string[] = [];
  const problems: string[] = [];
  for (const item of items) {
    const at = item.indexOf('=');
    const name = at < 0 ? item : item.slice(0, at);
    if (at < 0 || !BUILD_ARG_NAME.test(name)) {
      problems.push(
        `'${item}' is not NAME=value with a NAME of letters, digits and _${at < 0 ? `${COMMA_HINT}; for a variable of the step's environment write NAME=\${{ env.NAME }}` : ''}`,
      );
      continue;
    }
    buildArgs.push(item);
  }
  return { buildArgs, problems };
}

/**
 * buildx attribute lists (`type=registry,ref=x,mode=max`) come back from the list input split at
 * every comma; joins the `key=value` pieces to the entry they belong to. An entry starts at a
 * `type=` attribute or a bare reference (`user/app:cache`, shorthand for a registry cache).
 */
export function joinAttributeEntries(items: readonly string[]): string[] {
  const entries: string[] = [];
  for (const item of items) {
    const isContinuation = item.includes('=') && !item.startsWith('type=') && entries.length > 0;
    if (isContinuation) entries[entries.length - 1] += `,${item}`;
    else entries.push(item);
  }
  return entries;
}

/** Merges label lists; later keys win, the first position of a key is kept. */
export function mergeLabels(...lists: Array<Array<[string, string]>>): Array<[string, string]> {
  const merged = new Map<string, string>();
  for (const list of lists) for (const [key, value] of list) merged.set(key, value);
  return [...merged];
}
