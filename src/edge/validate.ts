// Manifest validation before anything is written: the official schemas, chosen by each twin's
// schemaVersion, plus what they cannot say (module names and count, images, createOptions chunks,
// route text, leftover variables, twin size limits). All problems are collected, then reported once.
import { createOptionsTextProblems, readCreateOptions } from './create-options.js';
import { type ManifestProblem, type PathSegment, problem, throwIfProblems } from './errors.js';
import { isLayered, moduleEntries } from './manifest-shape.js';
import { credentialEntries } from './registry-credentials.js';
import { schemaProblems, schemaValidators } from './schemas.js';
import { twinLimitProblems } from './twin-limits.js';
import {
  CREDENTIAL_OR_ROUTE_NAME,
  DESIRED,
  type DeploymentManifest,
  type JsonObject,
  type JsonValue,
  LAYERED_PREFIX,
  MODULE_NAME,
  SYSTEM_MODULE_NAMES,
  isJsonObject,
} from './types.js';
import { expandReferences, isReservedWord } from './variables.js';

export interface ValidateManifestOptions {
  /** Require images pinned by digest (`repo@sha256:<64 hex>`): `true` for every custom module, or these module names. */
  requireDigest?: boolean | readonly string[];
}

/** IoT Hub quota: modules per deployment (reference §1.11). Counted over custom modules. */
export const MAX_MODULES = 50;
const AGENT_VERSIONS = ['1.0', '1.1'];
const HUB_VERSIONS = ['1.0', '1.1', '1.2'];
const DIGEST = /@sha256:[a-f0-9]{64}$/;
const ROUTE_TEXT = /^\s*FROM\s+\S.*\sINTO\s+\S/is;
const PREFIX = {
  module: `${LAYERED_PREFIX}modules.`,
  systemModules: `${LAYERED_PREFIX}systemModules`,
  credential: `${LAYERED_PREFIX}runtime.settings.registryCredentials.`,
  route: `${LAYERED_PREFIX}routes.`,
};

function schemaVersionOf(twin: JsonValue | undefined): JsonValue | undefined {
  const desired = isJsonObject(twin) ? twin[DESIRED] : undefined;
  return isJsonObject(desired) ? desired['schemaVersion'] : undefined;
}

function versionProblem(
  twin: string,
  version: JsonValue | undefined,
  supported: string[],
): ManifestProblem[] {
  if (version === undefined || (typeof version === 'string' && supported.includes(version))) return [];
  return [
    problem(
      ['modulesContent', twin, DESIRED, 'schemaVersion'],
      `${twin} schemaVersion must be one of ${supported.join(', ')}, found ${JSON.stringify(version)}`,
      `set it to "${supported[supported.length - 1]}"`,
    ),
  ];
}

/** A base deployment: the 2.0 schema for the whole, the 1.1/1.2 schemas for twins that declare them. */
function baseProblems(manifest: JsonObject, modulesContent: JsonObject): ManifestProblem[] {
  const validators = schemaValidators();
  const agentVersion = schemaVersionOf(modulesContent['$edgeAgent']);
  const hubVersion = schemaVersionOf(modulesContent['$edgeHub']);
  // The 2.0 schema predates edgeHub 1.2 (it rejects mqttBroker) and is looser than edgeAgent 1.1,
  // so for twins declaring those versions their own schema speaks instead.
  const dedicated = new Set<PathSegment>();
  if (agentVersion === '1.1') dedicated.add('$edgeAgent');
  if (hubVersion === '1.2') dedicated.add('$edgeHub');
  const inDedicated = (segments: PathSegment[]) =>
    segments[0] === 'modulesContent' && dedicated.has(segments[1] ?? '');
  return [
    ...versionProblem('$edgeAgent', agentVersion, AGENT_VERSIONS),
    ...versionProblem('$edgeHub', hubVersion, HUB_VERSIONS),
    ...schemaProblems(validators.deployment, manifest, [], (segments) => !inDedicated(segments)),
    ...(dedicated.has('$edgeAgent')
      ? schemaProblems(validators.edgeAgent, { $edgeAgent: modulesContent['$edgeAgent'] }, ['modulesContent'])
      : []),
    ...(dedicated.has('$edgeHub')
      ? schemaProblems(validators.edgeHub, { $edgeHub: modulesContent['$edgeHub'] }, ['modulesContent'])
      : []),
  ];
}

function layeredAgentProblems(agent: JsonObject): ManifestProblem[] {
  const validators = schemaValidators();
  return Object.entries(agent).flatMap(([key, value]): ManifestProblem[] => {
    const at = ['modulesContent', '$edgeAgent', key];
    if (key.startsWith(PREFIX.module)) {
      const name = key.slice(PREFIX.module.length);
      if (!MODULE_NAME.test(name)) {
        return [
          problem(
            at,
            `a layered key must name one whole module; '${name}' is not a module name (^[a-zA-Z0-9_-]+$)`,
            `use 'properties.desired.modules.<name>' with the whole module definition`,
          ),
        ];
      }
      return schemaProblems(validators.module, value, at);
    }
    if (key.startsWith(PREFIX.credential)) {
      const name = key.slice(PREFIX.credential.length);
      if (!CREDENTIAL_OR_ROUTE_NAME.test(name)) {
        return [
          problem(
            at,
            `the registry credential name '${name}' is invalid: it must match ^[^\\.\\$# ]+$`,
            'use a name such as myacr',
          ),
        ];
      }
      return schemaProblems(validators.registryCredential, value, at);
    }
    if (key === DESIRED || key.startsWith(PREFIX.systemModules)) {
      return [
        problem(
          at,
          key === DESIRED
            ? 'a layered deployment cannot set the whole $edgeAgent desired properties (runtime and system modules belong to the base deployment)'
            : 'a layered deployment must not contain the system modules edgeAgent and edgeHub',
          "change the runtime in the base deployment; a layer adds modules with 'properties.desired.modules.<name>'",
        ),
      ];
    }
    return [
      problem(
        at,
        `'${key}' is not something a layered deployment can set on $edgeAgent`,
        "use 'properties.desired.modules.<name>' or 'properties.desired.runtime.settings.registryCredentials.<name>'",
      ),
    ];
  });
}

function layeredHubProblems(hub: JsonObject): ManifestProblem[] {
  return Object.entries(hub).flatMap(([key, value]): ManifestProblem[] => {
    const at = ['modulesContent', '$edgeHub', key];
    const name = key.startsWith(PREFIX.route) ? key.slice(PREFIX.route.length) : undefined;
    if (name !== undefined && CREDENTIAL_OR_ROUTE_NAME.test(name))
      return schemaProblems(schemaValidators().route, value, at);
    return [
      problem(
        at,
        name !== undefined
          ? `the route name '${name}' is invalid: it must match ^[^\\.\\$# ]+$`
          : `a layered deployment can only add routes to $edgeHub ('${key}' would replace the base deployment's settings)`,
        "use 'properties.desired.routes.<name>' keys with route names without '.', '$', '#' or space",
      ),
    ];
  });
}

/** A layered deployment: each path key checked against the part of the schema it addresses. */
function layeredProblems(modulesContent: JsonObject): ManifestProblem[] {
  return Object.entries(modulesContent).flatMap(([name, twin]): ManifestProblem[] => {
    const at = ['modulesContent', name];
    if (!isJsonObject(twin))
      return [
        problem(at, `must be an object, found ${typeof twin}`, 'make it an object of desired properties'),
      ];
    if (name === '$edgeAgent') return layeredAgentProblems(twin);
    if (name === '$edgeHub') return layeredHubProblems(twin);
    if (!MODULE_NAME.test(name)) {
      return [
        problem(
          at,
          `the module twin name '${name}' is invalid: it must match ^[a-zA-Z0-9_-]+$`,
          `rename it to the module's name`,
        ),
      ];
    }
    return Object.entries(twin).flatMap(([key, value]) => {
      if (key === DESIRED && !isJsonObject(value)) {
        return [
          problem(
            [...at, key],
            `must be an object of desired properties, found ${typeof value}`,
            'make it an object',
          ),
        ];
      }
      if (key === DESIRED || key.startsWith(LAYERED_PREFIX)) return [];
      return [
        problem(
          [...at, key],
          `a module twin only takes 'properties.desired' or 'properties.desired.<path>'`,
          `remove '${key}'`,
        ),
      ];
    });
  });
}

/** Names of `$VAR` / `${VAR}` references left in a text (not the manifest's own `$` words). */
function leftoverVariables(text: string): string[] {
  const names: string[] = [];
  expandReferences(text, ({ name }) => {
    if (!isReservedWord(name)) names.push(name);
    return undefined;
  });
  return names;
}

function moduleProblems(manifest: JsonObject, options: ValidateManifestOptions): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const modules = moduleEntries(manifest);
  const custom = modules.filter((m) => !m.system);
  if (custom.length > MAX_MODULES) {
    const at = custom[0]?.path.slice(0, -1) ?? ['modulesContent'];
    problems.push(
      problem(
        at,
        `the deployment has ${custom.length} modules; IoT Hub allows at most ${MAX_MODULES} per deployment`,
        'split the modules over layered deployments',
      ),
    );
  }
  const pinned =
    options.requireDigest === true ? custom.map((m) => m.name) : [...(options.requireDigest || [])];
  for (const name of pinned.filter((n) => !custom.some((m) => m.name === n))) {
    problems.push(
      problem(
        ['modulesContent'],
        `there is no module '${name}' whose image must be pinned by digest`,
        'name a module of this deployment',
      ),
    );
  }
  for (const { name, system, definition, path } of modules) {
    if (!system && SYSTEM_MODULE_NAMES.includes(name)) {
      problems.push(
        problem(path, `'${name}' is a system module name and cannot be a custom module`, 'rename the module'),
      );
    }
    const settings = definition['settings'];
    if (!isJsonObject(settings)) continue; // the schema reports it
    const image = settings['image'];
    const imageAt = [...path, 'settings', 'image'];
    if (typeof image === 'string') {
      const leftovers = leftoverVariables(image);
      if (image.trim() === '')
        problems.push(
          problem(imageAt, 'the module image is empty', 'set settings.image to the image reference'),
        );
      else if (/\s/.test(image))
        problems.push(problem(imageAt, `the image '${image}' contains whitespace`, 'remove the whitespace'));
      else if (leftovers.length > 0) {
        problems.push(
          problem(
            imageAt,
            `the image '${image}' still holds the placeholder(s) ${leftovers.join(', ')}`,
            'expand the template with module images and variables for them',
          ),
        );
      } else if (pinned.includes(name) && !DIGEST.test(image)) {
        problems.push(
          problem(
            imageAt,
            `the image '${image}' must be pinned by digest (…@sha256:<64 hex digits>)`,
            'use the digest the image build printed, e.g. myacr.azurecr.io/model@sha256:…',
          ),
        );
      }
    }
    const chunks = readCreateOptions(settings, [...path, 'settings']);
    problems.push(...chunks.problems);
    if (chunks.text !== undefined && chunks.problems.length === 0) {
      problems.push(
        ...createOptionsTextProblems(chunks.text, [...path, 'settings', chunks.keys[0] ?? 'createOptions']),
      );
    }
  }
  return problems;
}

function credentialProblems(manifest: JsonObject): ManifestProblem[] {
  return credentialEntries(manifest).flatMap(({ value, path }) =>
    !isJsonObject(value)
      ? []
      : Object.entries(value).flatMap(([field, text]) => {
          const leftovers = typeof text === 'string' ? leftoverVariables(text) : [];
          return leftovers.length === 0
            ? []
            : [
                problem(
                  [...path, field],
                  `the registry ${field} still holds the variable(s) ${leftovers.join(', ')}, which nothing set`,
                  'set them in the environment or .env, or pass the registry credentials as inputs',
                ),
              ];
        }),
  );
}

function routeProblems(modulesContent: JsonObject): ManifestProblem[] {
  const hub = modulesContent['$edgeHub'];
  if (!isJsonObject(hub)) return [];
  const desired = hub[DESIRED];
  const routes: [PathSegment[], JsonValue][] = [];
  if (isJsonObject(desired) && isJsonObject(desired['routes'])) {
    for (const [name, route] of Object.entries(desired['routes']))
      routes.push([['modulesContent', '$edgeHub', DESIRED, 'routes', name], route]);
  }
  for (const [key, route] of Object.entries(hub))
    if (key.startsWith(PREFIX.route)) routes.push([['modulesContent', '$edgeHub', key], route]);
  return routes.flatMap(([at, route]) => {
    const text = isJsonObject(route) ? route['route'] : route;
    if (typeof text !== 'string' || text === '' || ROUTE_TEXT.test(text)) return []; // the schema reports the rest
    return [
      problem(
        at,
        `a route reads FROM <source> [WHERE <condition>] INTO <sink>, found '${text}'`,
        'e.g. FROM /messages/modules/<module>/outputs/* INTO $upstream',
      ),
    ];
  });
}

/** Every problem with a deployment manifest, base or layered; empty when it is valid. */
export function manifestProblems(
  manifest: unknown,
  options: ValidateManifestOptions = {},
): ManifestProblem[] {
  if (!isJsonObject(manifest) || !isJsonObject(manifest['modulesContent'])) {
    return [
      problem(
        ['modulesContent'],
        'a deployment manifest is an object with a modulesContent object',
        'pass {"modulesContent": {...}}',
      ),
    ];
  }
  const modulesContent = manifest['modulesContent'];
  const problems = [
    ...(isLayered(manifest) ? layeredProblems(modulesContent) : baseProblems(manifest, modulesContent)),
    ...moduleProblems(manifest, options),
    ...credentialProblems(manifest),
    ...routeProblems(modulesContent),
    ...twinLimitProblems(modulesContent),
  ];
  // Different checks can find the same thing (e.g. two schemas); report it once.
  return [...new Map(problems.map((p) => [`${p.path}\n${p.message}`, p])).values()];
}

/** Throws ManifestError listing every problem; returns normally for a valid manifest. */
export function validateManifest(
  manifest: unknown,
  options: ValidateManifestOptions = {},
): asserts manifest is DeploymentManifest {
  throwIfProblems(manifestProblems(manifest, options));
}

/** Schema problems of a template before expansion (deployment template schema 4.0: edgeAgent 1.1, edgeHub 1.2). */
export function templateProblems(template: unknown): ManifestProblem[] {
  return schemaProblems(schemaValidators().template, template, []);
}
