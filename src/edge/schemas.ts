// The official manifest schemas (draft-04, from SchemaStore; see schemas/README.md), compiled once
// per process, and their errors turned into ManifestProblems that say what to change. The schemas
// are imported statically so that the ncc bundles carry them (the action ships without ../shared).
import AjvDraft04 from 'ajv-draft-04';
import type { ErrorObject, ValidateFunction } from 'ajv-draft-04';
import deploymentSchema from './schemas/azure-iot-edge-deployment-2.0.json' with { type: 'json' };
import edgeAgentSchema from './schemas/azure-iot-edgeagent-deployment-1.1.json' with { type: 'json' };
import edgeHubSchema from './schemas/azure-iot-edgehub-deployment-1.2.json' with { type: 'json' };
import templateSchema from './schemas/azure-iot-edge-deployment-template-4.0.json' with { type: 'json' };
import { type ManifestProblem, type PathSegment, problem } from './errors.js';
import { isCreateOptionsKey } from './create-options.js';

export interface SchemaValidators {
  /** azure-iot-edge-deployment-2.0: the whole `{modulesContent}`, any edgeAgent/edgeHub schemaVersion up to 1.1. */
  deployment: ValidateFunction;
  /** azure-iot-edgeagent-deployment-1.1, applied to `{$edgeAgent}`. */
  edgeAgent: ValidateFunction;
  /** azure-iot-edgehub-deployment-1.2, applied to `{$edgeHub}`. */
  edgeHub: ValidateFunction;
  /** azure-iot-edge-deployment-template-4.0: templates before expansion. */
  template: ValidateFunction;
  /** One custom module definition (edgeAgent 1.1), for layered `properties.desired.modules.<name>`. */
  module: ValidateFunction;
  /** One registry credential (edgeAgent 1.1), for layered registry credentials. */
  registryCredential: ValidateFunction;
  /** One route (edgeHub 1.2), for layered `properties.desired.routes.<name>`. */
  route: ValidateFunction;
}

let compiled: SchemaValidators | undefined;

/** A `$ref` to a subschema by JSON pointer; segments are escaped as pointers and as URI fragments. */
function pointer(id: string, segments: readonly string[]): { $ref: string } {
  const escaped = segments.map((s) => encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1')));
  return { $ref: `${id}#/${escaped.join('/')}` };
}

export function schemaValidators(): SchemaValidators {
  if (compiled) return compiled;
  const ajv = new AjvDraft04.default({ allErrors: true, verbose: true, allowUnionTypes: true });
  // Annotations from later drafts that these schemas carry; they assert nothing.
  ajv.addVocabulary(['examples', 'contentMediaType']);
  for (const schema of [edgeAgentSchema, edgeHubSchema, deploymentSchema, templateSchema])
    ajv.addSchema(schema);
  const byId = (id: string): ValidateFunction => {
    const validate = ajv.getSchema(id);
    if (!validate) throw new Error(`schema ${id} did not compile`);
    return validate;
  };
  const agentDesired = ['properties', '$edgeAgent', 'properties', 'properties.desired', 'properties'];
  compiled = {
    deployment: byId(deploymentSchema.id),
    edgeAgent: byId(edgeAgentSchema.id),
    edgeHub: byId(edgeHubSchema.id),
    template: byId(templateSchema.id),
    module: ajv.compile(
      pointer(edgeAgentSchema.id, [...agentDesired, 'modules', 'patternProperties', '^[a-zA-Z0-9_-]+$']),
    ),
    registryCredential: ajv.compile(
      pointer(edgeAgentSchema.id, [
        ...agentDesired,
        'runtime',
        'properties',
        'settings',
        'properties',
        'registryCredentials',
        'patternProperties',
        '^[^\\.\\$# ]+$',
      ]),
    ),
    route: ajv.compile(
      pointer(edgeHubSchema.id, [
        'properties',
        '$edgeHub',
        'properties',
        'properties.desired',
        'properties',
        'routes',
        'patternProperties',
        '^[^\\.\\$# ]+$',
      ]),
    ),
  };
  return compiled;
}

// What each object holding named entries calls its names, for messages about a bad name.
const NAME_KINDS: Record<string, string> = {
  modules: 'module name',
  systemModules: 'system module',
  registryCredentials: 'registry credential name',
  routes: 'route name',
  env: 'environment variable name',
  modulesContent: 'module twin name',
};

function segmentsOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 80 ? `${text.slice(0, 77)}…` : text}`;
}

function described(error: ErrorObject, at: PathSegment[]): ManifestProblem {
  const params = error.params as Record<string, unknown>;
  const last = at[at.length - 1];
  switch (error.keyword) {
    case 'required': {
      const missing = String(params['missingProperty']);
      if (missing === '$edgeHub' || missing === '$edgeAgent') {
        return problem(
          [...at, missing],
          `${missing} is missing: a base (non-layered) deployment needs both $edgeAgent and $edgeHub`,
          `add ${missing}, or write a layered deployment with 'properties.desired.<path>' keys only`,
        );
      }
      return problem([...at, missing], `'${missing}' is required here but missing`, `add '${missing}'`);
    }
    case 'additionalProperties': {
      const name = String(params['additionalProperty']);
      const parent = (error.parentSchema ?? {}) as { properties?: object; patternProperties?: object };
      const allowed = Object.keys(parent.properties ?? {});
      const patterns = Object.keys(parent.patternProperties ?? {});
      const kind = typeof last === 'string' ? NAME_KINDS[last] : undefined;
      if (kind && patterns.length > 0) {
        const fixed = allowed.length > 0 ? ` (or be ${allowed.join(' or ')})` : '';
        return problem(
          [...at, name],
          `the ${kind} '${name}' is invalid: it must match ${patterns.join(' or ')}${fixed}`,
          `rename '${name}' to match ${patterns.join(' or ')}`,
        );
      }
      const list = [
        ...allowed,
        ...patterns.map((p) => (p.includes('createOptions') ? 'createOptions, createOptions01, …' : p)),
      ];
      const value = (error.data as Record<string, unknown> | undefined)?.[name];
      const looksLikeEnv =
        allowed.includes('env') && typeof value === 'object' && value !== null && 'value' in value;
      const fix =
        name === 'mqttBroker'
          ? 'mqttBroker needs $edgeHub schemaVersion 1.2: set schemaVersion to "1.2"'
          : name === '$schema-template'
            ? 'remove it: it is template metadata (expandTemplate removes it)'
            : looksLikeEnv
              ? `'${name}' looks like an environment variable: move it into env`
              : `remove '${name}' or correct its spelling`;
      return problem([...at, name], `'${name}' is not allowed here (allowed: ${list.join(', ')})`, fix);
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String).join(', ');
      return problem(
        at,
        `must be one of ${allowed}, found ${kindOf(error.data)}`,
        `set it to one of ${allowed}`,
      );
    }
    case 'type': {
      const expected = String(params['type']).replaceAll(',', ' or ');
      const fix =
        typeof last === 'string' && isCreateOptionsKey(last)
          ? 'write createOptions as JSON text; expandTemplate() and normalizeCreateOptions() stringify objects'
          : `make it ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`;
      return problem(at, `must be ${expected}, found ${kindOf(error.data)}`, fix);
    }
    case 'pattern':
      return problem(
        at,
        `must match the pattern ${String(params['pattern'])}, found ${kindOf(error.data)}`,
        `change it to match ${String(params['pattern'])}`,
      );
    case 'minimum':
    case 'maximum':
      return problem(
        at,
        `must be ${String(params['comparison'])} ${String(params['limit'])}, found ${kindOf(error.data)}`,
        `use a value ${String(params['comparison'])} ${String(params['limit'])}`,
      );
    case 'anyOf': // the schemas' only anyOf: a route's two forms
      return problem(
        at,
        `a route must be the route text ("FROM … INTO …") or an object {route, priority 0-9, timeToLiveSecs}, found ${kindOf(error.data)}`,
        'write the route as a string, or as {"route": "FROM … INTO …", "priority": 0}',
      );
    default:
      return problem(at, error.message ?? `fails the schema keyword ${error.keyword}`, 'correct the value');
  }
}

/**
 * Validates `data` and returns its schema errors as problems. `at` is where `data` sits in the
 * manifest; `keep` can drop errors (by path) that another schema covers.
 */
export function schemaProblems(
  validate: ValidateFunction,
  data: unknown,
  at: readonly PathSegment[],
  keep: (segments: PathSegment[]) => boolean = () => true,
): ManifestProblem[] {
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  // An anyOf failure explains itself; the failures of its alternatives are noise.
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath);
  return errors
    .filter(
      (e) =>
        e.keyword === 'anyOf' ||
        !(e.schemaPath.includes('/anyOf/') && anyOfPaths.some((p) => e.instancePath.startsWith(p))),
    )
    .map((e) => ({ error: e, segments: [...at, ...segmentsOf(e.instancePath)] }))
    .filter(({ segments }) => keep(segments))
    .map(({ error, segments }) => described(error, segments));
}
