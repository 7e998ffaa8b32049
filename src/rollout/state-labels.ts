// Rollout state kept in the release deployment's `labels`, so promote, rollback, status and a re-run
// of a killed job all start from the hub alone (no local state files).
//
// Label rules (reference §1.4): keys and values at most 128 characters of ASCII letters, digits and
// -:.+%_#*?!(),=@;' with `$` reserved. Our keys carry the prefix `ml-to-iot-edge.` so labels set by
// anyone else are left alone. Free text (release, commit, model, run URL) is percent-encoded: `%` is
// an allowed character, so `/`, spaces or non-ASCII become `%2F`, `%20`, `%C3%A9` and decode back
// exactly. A value longer than 128 characters after encoding continues in `<key>.2`, `<key>.3`, ….
import type { Problem } from './problems.js';

export const LABEL_PREFIX = 'ml-to-iot-edge.';
export const MAX_LABEL_LENGTH = 128;

export const ROLLOUT_STATES = ['in-progress', 'held', 'completed', 'rolled-back', 'failed'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATES)[number];

export interface RolloutState {
  /** The app's slug (release-id.ts `appSlug`). */
  app: string;
  /** The release version as given (`1.4.0+build.7`). */
  release: string;
  /** 0-based index of the last ring the release targets (it targets rings 0..ringIndex). */
  ringIndex: number;
  ringName: string;
  ringCount: number;
  state: RolloutStatus;
  commit?: string;
  modelName?: string;
  modelVersion?: string;
  runUrl?: string;
  /** Epoch milliseconds. */
  startedAt: number;
  /** When the current ring started: a resumed run keeps the ring's timeout. */
  ringStartedAt: number;
  updatedAt: number;
  /** Run that holds the rollout (the workflow run id, so a re-run of the same run may continue). */
  lockOwner?: string;
}

type TextField =
  'app' | 'release' | 'ringName' | 'commit' | 'modelName' | 'modelVersion' | 'runUrl' | 'lockOwner';
type TimeField = 'startedAt' | 'ringStartedAt' | 'updatedAt';

const TEXT_KEYS: Record<TextField, string> = {
  app: 'app',
  release: 'release',
  ringName: 'ring-name',
  commit: 'commit',
  modelName: 'model-name',
  modelVersion: 'model-version',
  runUrl: 'run-url',
  lockOwner: 'lock',
};
const TIME_KEYS: Record<TimeField, string> = {
  startedAt: 'started',
  ringStartedAt: 'ring-started',
  updatedAt: 'updated',
};
const REQUIRED_TEXT: readonly TextField[] = ['app', 'release', 'ringName'];
const KEY_RING_NUMBER = 'ring-number';
const KEY_RING_COUNT = 'ring-count';
const KEY_STATE = 'state';

// Everything allowed in a label except `%`, which introduces an escape.
const PLAIN_CHAR = /^[A-Za-z0-9\-:.+_#*?!(),=@;']$/;

/** Percent-encodes every character a label value cannot hold (and `%` itself). */
export function encodeLabelText(text: string): string {
  let encoded = '';
  for (const ch of text) {
    if (PLAIN_CHAR.test(ch)) encoded += ch;
    else
      for (const byte of Buffer.from(ch, 'utf8'))
        encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** Reverses encodeLabelText; throws on a malformed escape. */
export function decodeLabelText(encoded: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(encoded))
    throw new Error(`'${encoded}' has a '%' that is not followed by two hex digits`);
  return decodeURIComponent(encoded);
}

/** Splits an encoded value into label-sized chunks without cutting a `%XX` escape in two. */
function chunks(encoded: string): string[] {
  const parts: string[] = [];
  let rest = encoded;
  while (rest.length > MAX_LABEL_LENGTH) {
    let cut = MAX_LABEL_LENGTH;
    const escape = rest.lastIndexOf('%', cut - 1);
    if (escape > cut - 3) cut = escape;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  parts.push(rest);
  return parts;
}

function key(name: string): string {
  return `${LABEL_PREFIX}${name}`;
}

function chunkKey(name: string, index: number): string {
  return index === 0 ? key(name) : `${key(name)}.${index + 1}`;
}

function stateProblems(state: RolloutState): string[] {
  const problems: string[] = [];
  for (const field of REQUIRED_TEXT) if (!state[field]) problems.push(`${field} is empty`);
  if (!ROLLOUT_STATES.includes(state.state))
    problems.push(`state '${state.state}' is not one of ${ROLLOUT_STATES.join(', ')}`);
  if (!Number.isInteger(state.ringCount) || state.ringCount < 1)
    problems.push(`ringCount ${state.ringCount} is not a whole number ≥ 1`);
  if (!Number.isInteger(state.ringIndex) || state.ringIndex < 0 || state.ringIndex >= state.ringCount) {
    problems.push(`ringIndex ${state.ringIndex} is outside 0..${state.ringCount - 1}`);
  }
  for (const field of Object.keys(TIME_KEYS) as TimeField[]) {
    if (!Number.isFinite(state[field])) problems.push(`${field} is not a time`);
  }
  return problems;
}

/** The labels that record `state`; throws when the state itself is inconsistent. */
export function encodeLabels(state: RolloutState): Record<string, string> {
  const problems = stateProblems(state);
  if (problems.length > 0) throw new Error(`Cannot record rollout state: ${problems.join('; ')}`);
  const labels: Record<string, string> = {
    [key(KEY_STATE)]: state.state,
    [key(KEY_RING_NUMBER)]: String(state.ringIndex + 1),
    [key(KEY_RING_COUNT)]: String(state.ringCount),
  };
  for (const [field, name] of Object.entries(TEXT_KEYS) as Array<[TextField, string]>) {
    const value = state[field];
    if (value === undefined || value === '') continue;
    chunks(encodeLabelText(value)).forEach((part, index) => (labels[chunkKey(name, index)] = part));
  }
  for (const [field, name] of Object.entries(TIME_KEYS) as Array<[TimeField, string]>) {
    labels[key(name)] = new Date(state[field]).toISOString(); // ISO text is label-safe as it is
  }
  return labels;
}

/** `existing` with our labels replaced by those of `state`; everyone else's labels are kept. */
export function mergeLabels(
  existing: Readonly<Record<string, string>>,
  state: RolloutState,
): Record<string, string> {
  const foreign = Object.entries(existing).filter(([name]) => !name.startsWith(LABEL_PREFIX));
  return { ...Object.fromEntries(foreign), ...encodeLabels(state) };
}

export type LabelReadResult =
  { kind: 'foreign' } | { kind: 'rollout'; state: RolloutState } | { kind: 'invalid'; problems: Problem[] };

/**
 * Reads the rollout state from a deployment's labels: `foreign` when none of our labels is there (a
 * deployment this tool did not make), `invalid` with every problem when they are there but broken.
 */
export function decodeLabels(labels: Readonly<Record<string, string>> | undefined): LabelReadResult {
  const ours = Object.entries(labels ?? {}).filter(([name]) => name.startsWith(LABEL_PREFIX));
  if (ours.length === 0) return { kind: 'foreign' };
  const values = new Map(ours);
  const problems: Problem[] = [];
  const problem = (name: string, message: string) =>
    problems.push({
      path: `labels.${key(name)}`,
      message,
      fix: `labels starting with ${LABEL_PREFIX} are written by ml-to-iot-edge: restore the value it wrote`,
    });

  const text = (name: string): string | undefined => {
    const parts: string[] = [];
    for (let index = 0; values.has(chunkKey(name, index)); index++)
      parts.push(values.get(chunkKey(name, index))!);
    if (parts.length === 0) return undefined;
    try {
      return decodeLabelText(parts.join(''));
    } catch (error) {
      problem(name, (error as Error).message);
      return undefined;
    }
  };
  const wholeNumber = (name: string): number => {
    const raw = values.get(key(name));
    if (raw === undefined || !/^\d+$/.test(raw)) {
      problem(name, raw === undefined ? 'is missing' : `'${raw}' is not a whole number`);
      return NaN;
    }
    return Number(raw);
  };

  const state: Partial<RolloutState> = {};
  for (const [field, name] of Object.entries(TEXT_KEYS) as Array<[TextField, string]>) {
    const value = text(name);
    if (value !== undefined) state[field] = value;
    else if (REQUIRED_TEXT.includes(field) && values.has(key(name)) === false) problem(name, 'is missing');
  }
  for (const [field, name] of Object.entries(TIME_KEYS) as Array<[TimeField, string]>) {
    const raw = values.get(key(name));
    const time = raw === undefined ? NaN : Date.parse(raw);
    if (Number.isNaN(time)) problem(name, raw === undefined ? 'is missing' : `'${raw}' is not an ISO time`);
    state[field] = time;
  }
  const status = values.get(key(KEY_STATE));
  if (status === undefined || !(ROLLOUT_STATES as readonly string[]).includes(status)) {
    problem(
      KEY_STATE,
      status === undefined ? 'is missing' : `'${status}' is not one of ${ROLLOUT_STATES.join(', ')}`,
    );
  } else state.state = status as RolloutStatus;
  const ringNumber = wholeNumber(KEY_RING_NUMBER);
  const ringCount = wholeNumber(KEY_RING_COUNT);
  if (ringNumber < 1 || ringNumber > ringCount)
    problem(KEY_RING_NUMBER, `ring ${ringNumber} is outside 1..${ringCount}`);
  state.ringIndex = ringNumber - 1;
  state.ringCount = ringCount;
  return problems.length > 0
    ? { kind: 'invalid', problems }
    : { kind: 'rollout', state: state as RolloutState };
}

/** In progress or held: the release still owns the app's rollout. */
export function isActive(state: RolloutState): boolean {
  return state.state === 'in-progress' || state.state === 'held';
}

export interface ReleaseState {
  deploymentId: string;
  state: RolloutState;
}

/**
 * The active rollout of `app` that a new start by `runId` must not run over: any active release of
 * the app held by another run (a re-run of the same workflow run keeps its run id and may continue).
 * The caller refuses to start unless forced, and writes its own lock with the deployment's etag so
 * two starts racing past this check cannot both win.
 */
export function findBlockingRollout(
  releases: readonly ReleaseState[],
  request: { app: string; deploymentId: string; runId: string },
): ReleaseState | undefined {
  return releases.find(
    ({ deploymentId, state }) =>
      state.app === request.app &&
      isActive(state) &&
      (deploymentId !== request.deploymentId ||
        (state.lockOwner !== undefined && state.lockOwner !== request.runId)),
  );
}
