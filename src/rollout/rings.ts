// The ring config: which devices each ring reaches and the gate a ring must pass before the next one
// starts. Given as YAML (the `rings` input, inline or as a file the caller reads); validated in full so
// that every problem is reported at once, with its path and a fix, before anything touches the hub.
//
// Format (every key but `rings[].name` and one target is optional):
//
//   app-scope: tags.app='vision'     # ANDed onto every ring's condition
//   defaults:                        # gate settings for every ring; a ring's own `gate` overrides them
//     min-success: 95%
//   rings:                           # a bare list of rings is accepted too
//     - name: canary
//       tag: ring=canary             # or tags: {ring: canary, region: eu} (AND),
//                                    # or device-ids: [dev-1, dev-2], or target-condition: "tags.ring='canary'"
//       gate:
//         min-devices: 1             # the ring must reach at least this many reachable devices
//         min-success: 95%           # share of reachable targeted devices reporting success with a healthy module
//         max-failures: 5%           # share of failed devices (of those reported, once min-sample reported)
//         max-failed-devices: 3      # failed devices, counted
//         min-sample: 20             # devices that must have reported before the failure share is judged
//         health: {require-running: true, max-restarts: 2}
//         soak: 5m                   # how long success must hold before the ring passes
//         timeout: 30m               # how long the ring may take to reach min-success
//
// Rings may overlap. Targeting is cumulative (ring k targets rings 1..k), so a device in two rings is
// reached by the first; the plan reports how many devices each ring adds. Two rings with exactly the
// same target are refused, as the second could never add a device.
import { parseDocument } from 'yaml';
import { childPath, type Problem, RolloutInputError, unknownKeyFix } from './problems.js';
import { describe, parseDuration, parseShare } from './quantities.js';
import { checkTargetCondition, ringCondition, VALUE_FIX, valueProblem } from './target-condition.js';

export type TagValue = string | number | boolean;

export type RingTarget =
  | { kind: 'condition'; condition: string }
  | { kind: 'tags'; tags: Record<string, TagValue> }
  | { kind: 'device-ids'; deviceIds: string[] };

export interface HealthGate {
  /** The model module's `runtimeStatus` must be `running` for a device to count as a success. */
  requireRunning: boolean;
  /** Restarts of the model module allowed per device; one more and the device counts as failed. */
  maxRestarts: number;
}

export interface GateConfig {
  minDevices: number;
  /** Share (0..1] of reachable targeted devices that must report success with a healthy module. */
  minSuccess: number;
  /** Share [0..1] of failed devices allowed, among the reporting ones once `minSample` have reported. */
  maxFailures: number;
  /** Failed devices allowed, counted; undefined = only the share applies. */
  maxFailedDevices?: number;
  /** Reports needed before the failure share is judged; undefined = min(20, reachable targeted devices). */
  minSample?: number;
  health: HealthGate;
  soakMs: number;
  timeoutMs: number;
}

export interface Ring {
  name: string;
  target: RingTarget;
  /** The ring's own target condition, without the app scope. */
  condition: string;
  gate: GateConfig;
}

export interface RingsConfig {
  /** Condition ANDed onto every ring, e.g. `tags.app='vision'`. */
  appScope?: string;
  rings: Ring[];
}

/**
 * Defaults, chosen so one set suits rings of any size: 95% rounds up, so a ring under 20 devices needs
 * every reachable device to succeed while a large ring tolerates a few stragglers; 5 minutes of soak
 * is one hub evaluation cycle, long enough for a crash-looping module to pass 2 restarts; 30 minutes
 * of timeout is about five 5–7-minute hub cycles.
 */
export const DEFAULT_GATE: Readonly<GateConfig> = Object.freeze({
  minDevices: 1,
  minSuccess: 0.95,
  maxFailures: 0.05,
  health: Object.freeze({ requireRunning: true, maxRestarts: 2 }),
  soakMs: 5 * 60_000,
  timeoutMs: 30 * 60_000,
});

/** The failure sample when `min-sample` is not given: the smallest sample where one failure is within 5%. */
export const DEFAULT_MIN_SAMPLE = 20;

export const DEFAULT_RING_NAMES = ['canary', 'pilot', 'fleet'] as const;

const TOP_KEYS = ['app-scope', 'defaults', 'rings'];
const RING_KEYS = ['name', 'target-condition', 'tag', 'tags', 'device-ids', 'gate'];
const TARGET_KEYS = ['target-condition', 'tag', 'tags', 'device-ids'] as const;
const GATE_KEYS = [
  'min-devices',
  'min-success',
  'max-failures',
  'max-failed-devices',
  'min-sample',
  'health',
  'soak',
  'timeout',
];
const HEALTH_KEYS = ['require-running', 'max-restarts'];
const RING_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const TAG_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const MAX_DEVICE_ID_LENGTH = 128;

/** canary, pilot, fleet, each by `tags.ring`; devices without a ring tag are not targeted. */
export function defaultRings(): RingsConfig {
  return {
    rings: DEFAULT_RING_NAMES.map((name) => {
      const target: RingTarget = { kind: 'tags', tags: { ring: name } };
      return { name, target, condition: ringCondition({ target }), gate: copyGate(DEFAULT_GATE) };
    }),
  };
}

/**
 * Whether the `rings` input is inline YAML or the path of a YAML file. Anything multi-line, or that
 * starts like a YAML list or mapping, or holds `key: value`, is YAML; the rest (`rings.yml`,
 * `./deploy/rings.yaml`, `C:\rings.yml`) is a path.
 */
export function ringsInputKind(input: string): 'yaml' | 'file' {
  const text = input.trim();
  if (text.includes('\n') || /^[-[{#]/.test(text) || /:(\s|$)/.test(text)) return 'yaml';
  return 'file';
}

/** Parses and validates ring YAML; empty text means the default rings. Throws RolloutInputError. */
export function parseRings(text: string | undefined): RingsConfig {
  if (text === undefined || text.trim() === '') return defaultRings();
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new RolloutInputError(
      'rings',
      document.errors.map((error) => {
        const at = error.linePos?.[0];
        return {
          path: at ? `line ${at.line}, column ${at.col}` : '(root)',
          message: error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
          fix: 'fix the YAML syntax (indentation, `key: value`, `- ` for list items)',
        };
      }),
    );
  }
  const { config, problems } = validateRings(document.toJS({ maxAliasCount: 100 }));
  if (!config) throw new RolloutInputError('rings', problems);
  return config;
}

/** Validates an already-parsed rings document; `config` is set only when there is no problem. */
export function validateRings(document: unknown): { config?: RingsConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const config = new RingsReader(problems).read(document);
  return problems.length === 0 ? { config, problems } : { problems };
}

function copyGate(gate: Readonly<GateConfig>): GateConfig {
  return { ...gate, health: { ...gate.health } };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class RingsReader {
  constructor(private readonly problems: Problem[]) {}

  read(document: unknown): RingsConfig {
    if (Array.isArray(document)) document = { rings: document };
    if (!isMapping(document)) {
      this.problem(
        '(root)',
        `expected a mapping with 'rings:' or a list of rings, got ${describe(document)}`,
        'start with rings: and a list of rings, each with a name and a target',
      );
      return { rings: [] };
    }
    this.unknownKeys(document, '', TOP_KEYS);
    const appScope = this.appScope(document['app-scope']);
    const defaults =
      document.defaults === undefined
        ? copyGate(DEFAULT_GATE)
        : this.gate(document.defaults, 'defaults', DEFAULT_GATE);
    const rings = this.rings(document.rings, defaults);
    return appScope === undefined ? { rings } : { appScope, rings };
  }

  private problem(path: string, message: string, fix?: string): void {
    this.problems.push(fix === undefined ? { path, message } : { path, message, fix });
  }

  private unknownKeys(
    mapping: Record<string, unknown>,
    path: string,
    known: readonly string[],
    hint?: (key: string) => string | undefined,
  ): void {
    for (const key of Object.keys(mapping)) {
      if (known.includes(key)) continue;
      this.problem(childPath(path, key), `unknown key '${key}'`, hint?.(key) ?? unknownKeyFix(key, known));
    }
  }

  private appScope(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.problem(
        'app-scope',
        `expected a target condition, got ${describe(value)}`,
        "write it as app-scope: tags.app='vision'",
      );
      return undefined;
    }
    this.condition(value, 'app-scope');
    return value.trim();
  }

  private condition(condition: string, path: string): void {
    for (const problem of checkTargetCondition(condition)) this.problem(path, problem.message, problem.fix);
  }

  private rings(value: unknown, defaults: GateConfig): Ring[] {
    if (value === undefined) {
      this.problem(
        'rings',
        'is missing',
        'list the rings in order, e.g. rings: [{name: canary, tag: ring=canary}]',
      );
      return [];
    }
    if (!Array.isArray(value)) {
      this.problem(
        'rings',
        `expected a list of rings, got ${describe(value)}`,
        'start each ring with "- name: ..."',
      );
      return [];
    }
    if (value.length === 0) {
      this.problem(
        'rings',
        'is empty',
        'list at least one ring, or leave the input empty for canary, pilot and fleet',
      );
      return [];
    }
    const rings: Ring[] = [];
    value.forEach((item, index) => {
      const ring = this.ring(item, childPath('rings', index), defaults);
      if (ring) rings.push(ring);
    });
    this.duplicates(rings);
    return rings;
  }

  private duplicates(rings: Ring[]): void {
    const byName = new Map<string, number>();
    const byCondition = new Map<string, number>();
    rings.forEach((ring, index) => {
      const sameName = byName.get(ring.name.toLowerCase());
      if (sameName !== undefined) {
        this.problem(
          childPath(childPath('rings', index), 'name'),
          `duplicate ring name '${ring.name}' (also rings[${sameName}])`,
          'give every ring its own name',
        );
      } else byName.set(ring.name.toLowerCase(), index);
      const sameTarget = byCondition.get(ring.condition);
      if (sameTarget !== undefined) {
        this.problem(
          childPath('rings', index),
          `targets exactly the same devices as rings[${sameTarget}] ('${rings[sameTarget]!.name}'), so it could never add a device`,
          'give the ring its own target, or remove it',
        );
      } else byCondition.set(ring.condition, index);
    });
  }

  private ring(value: unknown, path: string, defaults: GateConfig): Ring | undefined {
    if (!isMapping(value)) {
      this.problem(
        path,
        `expected a ring (a mapping with name and target), got ${describe(value)}`,
        'write - name: canary and a target such as tag: ring=canary on the next line',
      );
      return undefined;
    }
    this.unknownKeys(value, path, RING_KEYS, (key) =>
      GATE_KEYS.includes(key) ? `'${key}' is a gate setting: move it under gate:` : undefined,
    );
    const name = this.ringName(value.name, childPath(path, 'name'));
    const target = this.target(value, path);
    const gate =
      value.gate === undefined
        ? copyGate(defaults)
        : this.gate(value.gate, childPath(path, 'gate'), defaults);
    if (name === undefined || target === undefined) return undefined;
    return { name, target, condition: ringCondition({ target }), gate };
  }

  private ringName(value: unknown, path: string): string | undefined {
    if (value === undefined) {
      this.problem(path, 'is missing', 'give the ring a name such as canary');
      return undefined;
    }
    const name = typeof value === 'number' ? String(value) : value;
    if (typeof name !== 'string' || !RING_NAME.test(name)) {
      this.problem(
        path,
        `${describe(value)} is not a valid ring name`,
        'use up to 63 letters, digits, dots, dashes and underscores, starting with a letter or digit',
      );
      return undefined;
    }
    return name;
  }

  private target(ring: Record<string, unknown>, path: string): RingTarget | undefined {
    const given = TARGET_KEYS.filter((key) => ring[key] !== undefined);
    if (given.length === 0) {
      this.problem(
        path,
        'has no target',
        'add one of target-condition, tag (e.g. tag: ring=canary), tags or device-ids',
      );
      return undefined;
    }
    if (given.length > 1) {
      this.problem(
        path,
        `has ${given.length} targets (${given.join(', ')})`,
        'keep one; to combine tags use tags: {ring: canary, region: eu}',
      );
      return undefined;
    }
    const key = given[0]!;
    const value = ring[key];
    const keyPath = childPath(path, key);
    switch (key) {
      case 'target-condition':
        return this.conditionTarget(value, keyPath);
      case 'tag':
        return this.tagShorthand(value, keyPath);
      case 'tags':
        return this.tagsTarget(value, keyPath);
      case 'device-ids':
        return this.deviceIdsTarget(value, keyPath);
    }
  }

  private conditionTarget(value: unknown, path: string): RingTarget | undefined {
    if (typeof value !== 'string') {
      this.problem(
        path,
        `expected a target condition, got ${describe(value)}`,
        "write it as target-condition: tags.ring='canary'",
      );
      return undefined;
    }
    const before = this.problems.length;
    this.condition(value, path);
    return this.problems.length === before ? { kind: 'condition', condition: value.trim() } : undefined;
  }

  private tagShorthand(value: unknown, path: string): RingTarget | undefined {
    const text = typeof value === 'string' ? value : undefined;
    const at = text?.indexOf('=') ?? -1;
    if (text === undefined || at < 0) {
      this.problem(path, `expected name=value, got ${describe(value)}`, 'write it as tag: ring=canary');
      return undefined;
    }
    const name = text.slice(0, at).trim();
    const rawValue = text.slice(at + 1).trim();
    // `ring='canary'` and `ring="canary"` mean what they look like.
    const tagValue = /^(['"]).*\1$/.test(rawValue) ? rawValue.slice(1, -1) : rawValue;
    const before = this.problems.length;
    this.tagEntry(name, tagValue, path);
    return this.problems.length === before ? { kind: 'tags', tags: { [name]: tagValue } } : undefined;
  }

  private tagsTarget(value: unknown, path: string): RingTarget | undefined {
    if (!isMapping(value) || Object.keys(value).length === 0) {
      this.problem(
        path,
        `expected a mapping of tag names to values, got ${describe(value)}`,
        'write it as tags: {ring: canary, region: eu}',
      );
      return undefined;
    }
    const before = this.problems.length;
    for (const [name, tagValue] of Object.entries(value))
      this.tagEntry(name, tagValue, childPath(path, name));
    return this.problems.length === before
      ? { kind: 'tags', tags: value as Record<string, TagValue> }
      : undefined;
  }

  private tagEntry(name: string, value: unknown, path: string): void {
    if (!TAG_NAME.test(name)) {
      this.problem(
        path,
        `'${name}' is not a tag name`,
        'use letters, digits and underscores (dots for nested tags), e.g. ring or location.region',
      );
    }
    if (typeof value === 'number' || typeof value === 'boolean') return;
    if (typeof value !== 'string' || value === '') {
      this.problem(
        path,
        `expected a tag value, got ${describe(value)}`,
        'give a string, number or boolean value',
      );
      return;
    }
    const problem = valueProblem(value);
    if (problem) this.problem(path, `tag value ${problem}`, VALUE_FIX);
  }

  private deviceIdsTarget(value: unknown, path: string): RingTarget | undefined {
    if (!Array.isArray(value) || value.length === 0) {
      this.problem(
        path,
        `expected a list of device ids, got ${describe(value)}`,
        'write it as device-ids: [edge-01, edge-02]',
      );
      return undefined;
    }
    const before = this.problems.length;
    const seen = new Set<string>();
    value.forEach((id, index) => {
      const itemPath = childPath(path, index);
      const text = typeof id === 'number' ? String(id) : id;
      if (typeof text !== 'string' || text === '') {
        this.problem(itemPath, `expected a device id, got ${describe(id)}`, 'give the device id as a string');
      } else if (text.length > MAX_DEVICE_ID_LENGTH) {
        this.problem(
          itemPath,
          `device id is ${text.length} characters long`,
          `device ids have at most ${MAX_DEVICE_ID_LENGTH} characters`,
        );
      } else if (valueProblem(text)) {
        this.problem(itemPath, `device id ${valueProblem(text)}`, VALUE_FIX);
      } else if (seen.has(text)) {
        this.problem(itemPath, `device id '${text}' is listed twice`, 'remove the duplicate');
      }
      if (typeof text === 'string') seen.add(text);
    });
    return this.problems.length === before ? { kind: 'device-ids', deviceIds: value.map(String) } : undefined;
  }

  private gate(value: unknown, path: string, base: Readonly<GateConfig>): GateConfig {
    const gate = copyGate(base);
    if (!isMapping(value)) {
      this.problem(
        path,
        `expected gate settings, got ${describe(value)}`,
        `use the keys ${GATE_KEYS.join(', ')}`,
      );
      return gate;
    }
    this.unknownKeys(value, path, GATE_KEYS);
    const at = (key: string) => childPath(path, key);
    this.setting(value, 'min-devices', at, (v) => (gate.minDevices = wholeNumber(v, 1)));
    this.setting(value, 'min-success', at, (v) => {
      const share = parseShare(v);
      if (share === 0)
        throw new Error('0 would let the ring pass with no device succeeding: use a share above 0');
      gate.minSuccess = share;
    });
    this.setting(value, 'max-failures', at, (v) => (gate.maxFailures = parseShare(v)));
    this.setting(value, 'max-failed-devices', at, (v) => (gate.maxFailedDevices = wholeNumber(v, 0)));
    this.setting(value, 'min-sample', at, (v) => (gate.minSample = wholeNumber(v, 1)));
    this.setting(value, 'soak', at, (v) => (gate.soakMs = parseDuration(v)));
    this.setting(value, 'timeout', at, (v) => {
      const timeout = parseDuration(v);
      if (timeout === 0) throw new Error('a timeout of 0 would fail every ring at once: use e.g. 30m');
      gate.timeoutMs = timeout;
    });
    if (value.health !== undefined) this.health(value.health, at('health'), gate.health);
    return gate;
  }

  private health(value: unknown, path: string, health: HealthGate): void {
    if (!isMapping(value)) {
      this.problem(
        path,
        `expected health settings, got ${describe(value)}`,
        'write it as health: {require-running: true, max-restarts: 2}',
      );
      return;
    }
    this.unknownKeys(value, path, HEALTH_KEYS);
    const at = (key: string) => childPath(path, key);
    this.setting(value, 'require-running', at, (v) => {
      if (typeof v !== 'boolean') throw new Error(`expected true or false, got ${describe(v)}`);
      health.requireRunning = v;
    });
    this.setting(value, 'max-restarts', at, (v) => (health.maxRestarts = wholeNumber(v, 0)));
  }

  /** Applies one setting, turning the parser's error into a problem at its path. */
  private setting(
    mapping: Record<string, unknown>,
    key: string,
    at: (key: string) => string,
    apply: (value: unknown) => void,
  ): void {
    if (mapping[key] === undefined) return;
    try {
      apply(mapping[key]);
    } catch (error) {
      this.problem(at(key), (error as Error).message, FIXES[key]);
    }
  }
}

function wholeNumber(value: unknown, minimum: number): number {
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw new Error(`expected a whole number, got ${describe(value)}`);
  }
  if (number < minimum) throw new Error(`${number} is less than ${minimum}`);
  return number;
}

const FIXES: Record<string, string> = {
  'min-devices': 'give a whole number of devices, at least 1',
  'min-success': "give a share such as 0.95 or '95%'",
  'max-failures': "give a share such as 0.05 or '5%'",
  'max-failed-devices': 'give a whole number of devices, 0 or more',
  'min-sample': 'give a whole number of devices, at least 1',
  soak: "give a duration such as '90s', '5m' or '1h'",
  timeout: "give a duration such as '30m' or '1h'",
  'require-running': 'give true or false',
  'max-restarts': 'give a whole number of restarts, 0 or more',
};
