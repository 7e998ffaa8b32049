// What started the run, and what it asks for: a published release or a pushed tag gives the release
// version (semver, leading `v` dropped); a workflow_dispatch may choose a rollout command (status,
// promote, rollback, plan) that runs on its own. The `release` and `command` inputs win when given.
// Pure: the caller reads the event name and payload from GITHUB_EVENT_NAME / GITHUB_EVENT_PATH.
import type { InputProblem } from '../action/parse-inputs.js';
import { semverTags } from '../image/tags.js';
import type { RolloutCommand } from '../rollout/engine-types.js';
import { parseReleaseVersion, stripVersionPrefix } from '../rollout/release-id.js';

/** Commands a dispatch runs directly, without registering or building. */
const DISPATCH_COMMANDS = ['status', 'promote', 'rollback', 'plan'] as const;
/** Release event types that start a rollout of the release's tag. */
const RELEASE_ACTIONS = ['published', 'released', 'prereleased', 'created'] as const;

export interface TriggerSource {
  eventName?: string;
  /** The event payload (GITHUB_EVENT_PATH's JSON). */
  payload?: unknown;
  /** GITHUB_REF. */
  ref?: string;
  /** The `release` input, when given. */
  release?: string;
  /** The `command` input; `auto` (its default) counts as not chosen. */
  command?: string;
}

export interface Trigger {
  /** For the summary heading: "release v1.4.0 published", "tag v1.4.0 pushed". */
  description: string;
  release?: string;
  command: RolloutCommand;
  /** A status/promote/rollback/plan run: no registration, no build. */
  rolloutOnly: boolean;
  problems: InputProblem[];
}

type Json = Record<string, unknown>;

function field(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) at = at && typeof at === 'object' ? (at as Json)[key] : undefined;
  return at;
}

function stringField(value: unknown, ...path: string[]): string | undefined {
  const found = field(value, ...path);
  return typeof found === 'string' && found.trim() ? found.trim() : undefined;
}

const isSemver = (version: string) => semverTags(version) !== undefined;

/** The version a tag names, or the problem with it (the message names the tag and the fix). */
function versionOfTag(tag: string): { version?: string; problem?: InputProblem } {
  const version = parseReleaseVersion(tag);
  if (version && isSemver(version)) return { version };
  return {
    problem: {
      input: 'release',
      message:
        `the tag '${tag}' does not name a semantic version (got '${version ?? ''}'): name release tags ` +
        "v<major>.<minor>.<patch> (v1.4.0, v2.0.0-rc.1, or 'app/v1.4.0' in a monorepo), or set the release input",
    },
  };
}

function explicitRelease(release: string): { version?: string; problem?: InputProblem } {
  const version = stripVersionPrefix(release.trim());
  if (isSemver(version)) return { version };
  return {
    problem: {
      input: 'release',
      message: `'${release}' is not a semantic version: give <major>.<minor>.<patch>, e.g. 1.4.0 or v1.4.0 (a leading v is dropped)`,
    },
  };
}

/** The event's own release tag and a description of the event. */
function eventTag(source: TriggerSource): { tag?: string; description: string; problem?: InputProblem } {
  const { eventName, payload, ref } = source;
  if (eventName === 'release') {
    const action = stringField(payload, 'action') ?? '(unknown)';
    const tag = stringField(payload, 'release', 'tag_name');
    if (!(RELEASE_ACTIONS as readonly string[]).includes(action))
      return {
        description: `release ${tag ?? ''} ${action}`.replace(/\s+/g, ' '),
        problem: {
          input: 'release',
          message: `a release '${action}' event does not start a rollout: trigger the workflow on release types ${RELEASE_ACTIONS.join(', ')}`,
        },
      };
    return { tag, description: `release ${tag ?? '(no tag)'} ${action}` };
  }
  const tag = ref?.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
  const name = eventName ?? 'manual run';
  if (eventName === 'push' && tag) return { tag, description: `tag ${tag} pushed` };
  return { tag, description: ref ? `${name} on ${ref}` : name };
}

function dispatchCommand(source: TriggerSource): { command?: RolloutCommand; problem?: InputProblem } {
  if (source.eventName !== 'workflow_dispatch') return {};
  const chosen = stringField(source.payload, 'inputs', 'command');
  if (chosen === undefined || chosen === 'auto') return {};
  if ((DISPATCH_COMMANDS as readonly string[]).includes(chosen) || chosen === 'start')
    return { command: chosen as RolloutCommand };
  return {
    problem: {
      input: 'command',
      message: `the workflow_dispatch input command is '${chosen}': use one of ${DISPATCH_COMMANDS.join(', ')} (or auto for the whole pipeline)`,
    },
  };
}

export function resolveTrigger(source: TriggerSource): Trigger {
  const problems: InputProblem[] = [];
  const event = eventTag(source);
  if (event.problem) problems.push(event.problem);

  const given = source.command?.trim();
  const chosen = given && given !== 'auto' ? (given as RolloutCommand) : undefined;
  const dispatch = dispatchCommand(source);
  if (dispatch.problem && !chosen) problems.push(dispatch.problem);
  const command: RolloutCommand = chosen ?? dispatch.command ?? 'auto';

  // The release input wins, then a dispatch's own release input, then the event's tag.
  const dispatchRelease =
    source.eventName === 'workflow_dispatch' ? stringField(source.payload, 'inputs', 'release') : undefined;
  const explicit = source.release?.trim() || dispatchRelease;
  const found = explicit ? explicitRelease(explicit) : event.tag ? versionOfTag(event.tag) : {};
  if (found.problem) problems.push(found.problem);

  const description =
    source.eventName === 'workflow_dispatch' ? `workflow_dispatch: ${command}` : event.description;
  return {
    description,
    ...(found.version ? { release: found.version } : {}),
    command,
    rolloutOnly: (DISPATCH_COMMANDS as readonly string[]).includes(command),
    problems,
  };
}
