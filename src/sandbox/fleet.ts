// Simulated fleets organised in rings, and the CLI syntax that describes them.
//
// CLI syntax (each error names the part it cannot read):
//   rings          --rings canary=5,pilot=45,fleet=150
//                  <ring>=<count>, comma-separated; ring names are letters, digits, '-' or '_'.
//   behaviours     --behaviour <selector>:<behaviour>[@<image-text>]   (repeatable; later rules win)
//                  selector:  all            every device
//                             <ring>         every device of that ring
//                             <ring>/<n>     every n-th device of the ring (its n-th, 2n-th, … device)
//                             all/<n>        every n-th device of the fleet
//                             id=<id>+<id>   the listed device ids
//                  behaviour: healthy | crash-loop | reject-manifest | offline | slow | arch-mismatch
//                  @<image-text>: the behaviour shows only while a custom module's image contains the text
//                  (everything after the first '@' belongs to it, so digests like app@sha256:… work).
//                  e.g. canary:crash-loop@model:2.0.0   fleet/10:offline   id=edge-pilot-0003:reject-manifest
//   architectures  --architectures x86_64=2,aarch64=1,armv7l=1
//                  <architecture>=<weight>; each ring cycles through the mix in that proportion.
// Device ids are `<prefix>-<ring>-<number>` (edge-canary-0001), tagged `{ ring, app? }`.
import { DEVICE_BEHAVIOURS, type DeviceArchitecture, type DeviceBehaviour } from './hub-types.js';
import type { SimulatedDeviceSpec } from './twin-store.js';

export interface RingSize {
  name: string;
  count: number;
}

export type DeviceSelector =
  { all: true; every?: number } | { ring: string; every?: number } | { deviceIds: readonly string[] };

export interface BehaviourRule {
  select: DeviceSelector;
  behaviour: DeviceBehaviour;
  behaviourImage?: string;
}

/** Relative weights, e.g. `{ x86_64: 2, aarch64: 1 }`. */
export type ArchitectureMix = Partial<Record<DeviceArchitecture, number>>;

export interface RingFleetOptions {
  rings: readonly RingSize[];
  behaviours?: readonly BehaviourRule[];
  architectures?: ArchitectureMix;
  /** Adds `tags.app`, the app scope of the toolkit's target conditions. */
  app?: string;
  /** Device id prefix; default `edge`. */
  idPrefix?: string;
}

export const ARCHITECTURES: readonly DeviceArchitecture[] = ['x86_64', 'aarch64', 'armv7l'];

export class FleetSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FleetSpecError';
  }
}

const RING_NAME = /^[A-Za-z0-9_-]+$/;

/** Builds the device specs of a ring fleet, ring by ring, in order. */
export function ringFleet(options: RingFleetOptions): SimulatedDeviceSpec[] {
  const prefix = options.idPrefix ?? 'edge';
  const pattern = architecturePattern(options.architectures ?? { x86_64: 1 });
  const seen = new Set<string>();
  const specs: SimulatedDeviceSpec[] = [];
  for (const ring of options.rings) {
    checkRing(ring);
    if (seen.has(ring.name)) throw new FleetSpecError(`The ring '${ring.name}' is given twice`);
    seen.add(ring.name);
    const digits = Math.max(4, String(ring.count).length);
    for (let i = 0; i < ring.count; i++) {
      specs.push({
        deviceId: `${prefix}-${ring.name}-${String(i + 1).padStart(digits, '0')}`,
        tags: options.app === undefined ? { ring: ring.name } : { ring: ring.name, app: options.app },
        behaviour: 'healthy',
        architecture: pattern[i % pattern.length]!,
      });
    }
  }
  for (const rule of options.behaviours ?? []) applyRule(specs, rule, seen);
  return specs;
}

function checkRing(ring: RingSize): void {
  if (!RING_NAME.test(ring.name)) {
    throw new FleetSpecError(`The ring name '${ring.name}' is invalid: use letters, digits, '-' or '_'`);
  }
  if (!Number.isInteger(ring.count) || ring.count < 0) {
    throw new FleetSpecError(`The ring '${ring.name}' needs a whole number of devices, got ${ring.count}`);
  }
}

function architecturePattern(mix: ArchitectureMix): DeviceArchitecture[] {
  const pattern: DeviceArchitecture[] = [];
  for (const [architecture, weight] of Object.entries(mix) as [DeviceArchitecture, number][]) {
    if (!ARCHITECTURES.includes(architecture)) {
      throw new FleetSpecError(`Unknown architecture '${architecture}'; use ${ARCHITECTURES.join(', ')}`);
    }
    if (!Number.isInteger(weight) || weight < 0) {
      throw new FleetSpecError(
        `The weight of architecture '${architecture}' must be a whole number, got ${weight}`,
      );
    }
    for (let i = 0; i < weight; i++) pattern.push(architecture);
  }
  if (pattern.length === 0)
    throw new FleetSpecError('The architecture mix needs at least one positive weight');
  return pattern;
}

function applyRule(specs: SimulatedDeviceSpec[], rule: BehaviourRule, rings: ReadonlySet<string>): void {
  if (!DEVICE_BEHAVIOURS.includes(rule.behaviour)) {
    throw new FleetSpecError(
      `Unknown behaviour '${rule.behaviour}'; use one of ${DEVICE_BEHAVIOURS.join(', ')}`,
    );
  }
  const { select } = rule;
  let chosen: SimulatedDeviceSpec[];
  if ('deviceIds' in select) {
    const byId = new Map(specs.map((spec) => [spec.deviceId, spec]));
    chosen = select.deviceIds.map((id) => {
      const spec = byId.get(id);
      if (!spec)
        throw new FleetSpecError(`The behaviour rule names the device '${id}', which is not in the fleet`);
      return spec;
    });
  } else {
    if ('ring' in select && !rings.has(select.ring)) {
      throw new FleetSpecError(
        `The behaviour rule names the ring '${select.ring}', which is not in the fleet`,
      );
    }
    const members = 'ring' in select ? specs.filter((spec) => spec.tags?.ring === select.ring) : specs;
    const every = select.every ?? 1;
    if (!Number.isInteger(every) || every < 1)
      throw new FleetSpecError(`'every' must be a whole number of at least 1, got ${every}`);
    chosen = members.filter((_, i) => (i + 1) % every === 0);
  }
  for (const spec of chosen) {
    spec.behaviour = rule.behaviour;
    if (rule.behaviourImage) spec.behaviourImage = rule.behaviourImage;
    else delete spec.behaviourImage;
  }
}

// ---- CLI strings ------------------------------------------------------------------------------

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function parseCount(text: string, part: string, what: string): number {
  if (!/^\d+$/.test(text))
    throw new FleetSpecError(`In '${part}': ${what} must be a whole number, got '${text}'`);
  return Number(text);
}

/** `canary=5,pilot=45,fleet=150` → rings in that order. */
export function parseRingSizes(text: string): RingSize[] {
  const parts = splitList(text);
  if (parts.length === 0)
    throw new FleetSpecError('No rings given; expected e.g. canary=5,pilot=45,fleet=150');
  return parts.map((part) => {
    const match = /^([^=]+)=(.*)$/.exec(part);
    if (!match) throw new FleetSpecError(`The ring '${part}' is not <name>=<count>, e.g. canary=5`);
    const name = match[1]!.trim();
    if (!RING_NAME.test(name))
      throw new FleetSpecError(
        `In '${part}': the ring name '${name}' may only use letters, digits, '-' or '_'`,
      );
    return { name, count: parseCount(match[2]!.trim(), part, 'the device count') };
  });
}

/** `canary:crash-loop@model:2.0.0` → a behaviour rule (syntax at the top of this file). */
export function parseBehaviourRule(text: string): BehaviourRule {
  const colon = text.indexOf(':');
  if (colon < 0)
    throw new FleetSpecError(
      `The behaviour '${text}' is not <selector>:<behaviour>[@<image-text>], e.g. canary:crash-loop`,
    );
  const selectorText = text.slice(0, colon).trim();
  const rest = text.slice(colon + 1);
  const at = rest.indexOf('@');
  const behaviourText = (at < 0 ? rest : rest.slice(0, at)).trim();
  const image = at < 0 ? undefined : rest.slice(at + 1).trim();
  if (!DEVICE_BEHAVIOURS.includes(behaviourText as DeviceBehaviour)) {
    throw new FleetSpecError(
      `In '${text}': unknown behaviour '${behaviourText}'; use one of ${DEVICE_BEHAVIOURS.join(', ')}`,
    );
  }
  if (image === '') throw new FleetSpecError(`In '${text}': the image text after '@' is empty`);
  const rule: BehaviourRule = {
    select: parseSelector(selectorText, text),
    behaviour: behaviourText as DeviceBehaviour,
  };
  if (image !== undefined) rule.behaviourImage = image;
  return rule;
}

function parseSelector(selector: string, whole: string): DeviceSelector {
  if (selector.startsWith('id=')) {
    const ids = selector
      .slice(3)
      .split('+')
      .map((id) => id.trim());
    if (ids.some((id) => id === ''))
      throw new FleetSpecError(`In '${whole}': the device list '${selector}' has an empty id`);
    return { deviceIds: ids };
  }
  const match = /^([^/]*)(?:\/(.*))?$/.exec(selector)!;
  const name = match[1]!.trim();
  const every =
    match[2] === undefined ? undefined : parseCount(match[2].trim(), whole, 'the n of <ring>/<n>');
  if (every === 0) throw new FleetSpecError(`In '${whole}': the n of <ring>/<n> must be at least 1`);
  if (name === '')
    throw new FleetSpecError(
      `In '${whole}': the selector is empty; use all, <ring>, <ring>/<n> or id=<id>+<id>`,
    );
  if (name === 'all') return every === undefined ? { all: true } : { all: true, every };
  if (!RING_NAME.test(name)) throw new FleetSpecError(`In '${whole}': '${name}' is not a ring name`);
  return every === undefined ? { ring: name } : { ring: name, every };
}

/** `x86_64=2,aarch64=1` → weights. */
export function parseArchitectureMix(text: string): ArchitectureMix {
  const mix: ArchitectureMix = {};
  for (const part of splitList(text)) {
    const [name, weight, ...extra] = part.split('=').map((s) => s.trim());
    if (!name || weight === undefined || extra.length > 0) {
      throw new FleetSpecError(`The architecture '${part}' is not <architecture>=<weight>, e.g. aarch64=1`);
    }
    if (!ARCHITECTURES.includes(name as DeviceArchitecture)) {
      throw new FleetSpecError(
        `In '${part}': unknown architecture '${name}'; use ${ARCHITECTURES.join(', ')}`,
      );
    }
    mix[name as DeviceArchitecture] = parseCount(weight, part, 'the weight');
  }
  if (Object.keys(mix).length === 0)
    throw new FleetSpecError('No architectures given; expected e.g. x86_64=2,aarch64=1');
  return mix;
}
