// Configuration content: which kind it is, whether the service would accept it, and what desired
// properties each module twin ends up with once a base deployment and its layers are merged.
import { HubError, type ConfigurationContent, type JsonObject } from './hub-types.js';
import { deepFreeze, isJsonObject, jsonByteLength, setAtPath } from './json-values.js';
import { checkModuleName } from './naming-rules.js';

export type ModulesContent = Record<string, JsonObject>;

/** `edge`: an IoT Edge deployment (modulesContent); `device`/`module`: automatic device management. */
export type ContentKind = 'edge-standard' | 'edge-layered' | 'device' | 'module';

export function isEdgeKind(kind: ContentKind): boolean {
  return kind === 'edge-standard' || kind === 'edge-layered';
}

export const EDGE_AGENT = '$edgeAgent';
export const EDGE_HUB = '$edgeHub';
export const SYSTEM_MODULES: readonly string[] = [EDGE_AGENT, EDGE_HUB];
export const MAX_MODULES_PER_DEPLOYMENT = 50;
/** Desired properties of one twin: 32 KB (reference §1.11). */
export const MAX_DESIRED_BYTES = 32 * 1024;

const DESIRED = 'properties.desired';
const DESIRED_PATH = 'properties.desired.';

function invalid(message: string): HubError {
  return new HubError(400, 'ArgumentInvalid', message);
}

export interface ParsedContent {
  content: ConfigurationContent;
  kind: ContentKind;
}

/** Validates a configuration's `content` (exactly one non-empty part) and classifies it. */
export function parseContent(raw: unknown): ParsedContent {
  if (!isJsonObject(raw))
    throw invalid('content must be an object with modulesContent, moduleContent or deviceContent');
  const parts = (['modulesContent', 'moduleContent', 'deviceContent'] as const).filter(
    (part) =>
      raw[part] !== undefined && raw[part] !== null && !(isJsonObject(raw[part]) && isEmpty(raw[part])),
  );
  if (parts.length !== 1) {
    throw invalid(
      `content must have exactly one non-empty part of modulesContent, moduleContent or deviceContent; got ${parts.length ? parts.join(', ') : 'none'}`,
    );
  }
  const part = parts[0]!;
  const value = raw[part];
  if (!isJsonObject(value)) throw invalid(`content.${part} must be an object`);
  if (part === 'modulesContent') {
    const kind = checkModulesContent(value);
    return { content: { modulesContent: value as ModulesContent }, kind };
  }
  return { content: { [part]: value }, kind: part === 'deviceContent' ? 'device' : 'module' };
}

function isEmpty(value: JsonObject): boolean {
  return Object.keys(value).length === 0;
}

/**
 * The service tells a layered deployment from a standard one by shape alone: any
 * `properties.desired.<path>` key makes it layered (reference §1.7).
 */
export function isLayered(modulesContent: ModulesContent): boolean {
  return Object.values(modulesContent).some(
    (entry) => isJsonObject(entry) && Object.keys(entry).some((key) => key.startsWith(DESIRED_PATH)),
  );
}

function checkModulesContent(modulesContent: JsonObject): ContentKind {
  for (const [moduleId, entry] of Object.entries(modulesContent)) {
    if (!SYSTEM_MODULES.includes(moduleId)) checkModuleName(moduleId);
    if (!isJsonObject(entry)) throw invalid(`modulesContent.${moduleId} must be an object`);
    for (const key of Object.keys(entry)) {
      if (key !== DESIRED && !key.startsWith(DESIRED_PATH)) {
        throw invalid(
          `modulesContent.${moduleId} has the key '${key}'; only '${DESIRED}' or '${DESIRED_PATH}<path>' are allowed`,
        );
      }
      if (key === DESIRED && !isJsonObject(entry[key])) {
        throw invalid(`modulesContent.${moduleId}['${DESIRED}'] must be an object`);
      }
    }
    const size = jsonByteLength(entry);
    if (size > MAX_DESIRED_BYTES) {
      throw invalid(
        `The desired properties of module '${moduleId}' are ${size} bytes; a twin allows ${MAX_DESIRED_BYTES}`,
      );
    }
  }
  const content = modulesContent as ModulesContent;
  if (isLayered(content)) {
    checkLayered(content);
    return 'edge-layered';
  }
  checkStandard(content);
  return 'edge-standard';
}

function checkStandard(content: ModulesContent): void {
  for (const system of SYSTEM_MODULES) {
    if (!isJsonObject(content[system]?.[DESIRED])) {
      throw invalid(
        `A deployment's modulesContent must contain ${system} with '${DESIRED}' (only a layered deployment, using '${DESIRED_PATH}<path>' keys, may leave it out)`,
      );
    }
  }
  const modules = content[EDGE_AGENT]![DESIRED] as JsonObject;
  const names = isJsonObject(modules.modules) ? Object.keys(modules.modules) : [];
  names.forEach(checkModuleName);
  checkModuleCount(names.length);
}

function checkLayered(content: ModulesContent): void {
  let moduleCount = 0;
  for (const system of SYSTEM_MODULES) {
    const entry = content[system];
    if (!entry) continue;
    for (const key of Object.keys(entry)) {
      const path = key === DESIRED ? [] : key.slice(DESIRED_PATH.length).split('.');
      if (path.length === 0 || path[0] === 'systemModules' || path[0] === 'schemaVersion') {
        throw invalid(
          `A layered deployment must not contain the system modules: ${system} may only carry '${DESIRED_PATH}<path>' keys such as '${DESIRED_PATH}modules.<name>', not '${key}'`,
        );
      }
      if (system === EDGE_AGENT && path[0] === 'modules' && path[1] !== undefined) {
        checkModuleName(path[1]);
        moduleCount += 1;
      }
    }
  }
  checkModuleCount(moduleCount);
}

function checkModuleCount(count: number): void {
  if (count > MAX_MODULES_PER_DEPLOYMENT) {
    throw invalid(
      `A deployment may define at most ${MAX_MODULES_PER_DEPLOYMENT} modules; this one defines ${count}`,
    );
  }
}

/** The desired properties each module twin gets, in a stable order: system modules first. Frozen. */
export type ResolvedModules = ReadonlyMap<string, JsonObject>;

/**
 * Merges a standard deployment with the layers above it, lowest priority first. A layer's
 * `properties.desired.<path>` sets that path in the module's desired properties (creating the module if
 * needed); a layer's whole `properties.desired` replaces the module's. Every custom module the
 * resulting `$edgeAgent` runs gets a twin, with empty desired properties when no content names it.
 */
export function resolveModules(
  base: ModulesContent,
  layers: readonly ModulesContent[] = [],
): ResolvedModules {
  const modules = new Map<string, JsonObject>();
  for (const system of SYSTEM_MODULES)
    modules.set(system, (base[system]?.[DESIRED] as JsonObject | undefined) ?? {});
  for (const [moduleId, entry] of Object.entries(base)) {
    if (!modules.has(moduleId)) modules.set(moduleId, (entry[DESIRED] as JsonObject | undefined) ?? {});
  }
  for (const layer of layers) {
    for (const [moduleId, entry] of Object.entries(layer)) {
      for (const [key, value] of Object.entries(entry)) {
        const current = modules.get(moduleId) ?? {};
        if (key === DESIRED) modules.set(moduleId, value as JsonObject);
        else modules.set(moduleId, setAtPath(current, key.slice(DESIRED_PATH.length).split('.'), value));
      }
    }
  }
  const agentModules = modules.get(EDGE_AGENT)?.modules;
  if (isJsonObject(agentModules)) {
    for (const name of Object.keys(agentModules)) if (!modules.has(name)) modules.set(name, {});
  }
  for (const [moduleId, desired] of modules) modules.set(moduleId, deepFreeze(desired));
  return modules;
}
