// The model module as both manifest shapes write it: its $edgeAgent module definition and its own
// module twin, whose desired properties tell the running module which model to serve.
import { settingsWithCreateOptions } from './create-options.js';
import { type PathSegment, fail, problem } from './errors.js';
import type {
  CreateOptions,
  EnvValues,
  ImagePullPolicy,
  JsonObject,
  ModuleStatus,
  RestartPolicy,
} from './types.js';

export interface ModelReference {
  name: string;
  version: string;
  /** Where the module finds the model, e.g. an `azureml://` asset URI. */
  uri: string;
  /** Content hash of the model files, when known. */
  hash?: string;
}

export interface ModuleOptions {
  /** Module name, ^[a-zA-Z0-9_-]+$. */
  name: string;
  /** Image reference; pin it by digest (`repo@sha256:…`) so devices notice every release. */
  image: string;
  env?: EnvValues;
  createOptions?: CreateOptions;
  /** Default `always`. */
  restartPolicy?: RestartPolicy;
  /** Default `running`. */
  status?: ModuleStatus;
  startupOrder?: number;
  imagePullPolicy?: ImagePullPolicy;
  /** The module's `version` field, e.g. the release. */
  version?: string;
}

export interface ModelModuleOptions extends ModuleOptions {
  model: ModelReference;
  /** More desired properties for the module twin, beside `model`. */
  twin?: JsonObject;
}

/** `{NAME: {value}}`, the manifest's form of environment variables. */
export function envSection(env: EnvValues): JsonObject {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, { value }]));
}

/** A custom module's definition; `at` is where it will sit in the manifest (for createOptions errors). */
export function moduleDefinition(module: ModuleOptions, at: readonly PathSegment[]): JsonObject {
  const settings: JsonObject = { image: module.image };
  return {
    ...(module.version !== undefined ? { version: module.version } : {}),
    type: 'docker',
    status: module.status ?? 'running',
    restartPolicy: module.restartPolicy ?? 'always',
    ...(module.startupOrder !== undefined ? { startupOrder: module.startupOrder } : {}),
    ...(module.imagePullPolicy !== undefined ? { imagePullPolicy: module.imagePullPolicy } : {}),
    ...(module.env !== undefined ? { env: envSection(module.env) } : {}),
    settings:
      module.createOptions === undefined
        ? settings
        : settingsWithCreateOptions(settings, module.createOptions, [...at, 'settings', 'createOptions']),
  };
}

/** The desired properties of the model module's twin: `model` plus the caller's extra properties. */
export function modelTwinDesired(module: ModelModuleOptions): JsonObject {
  if (module.twin !== undefined && Object.hasOwn(module.twin, 'model')) {
    fail(
      problem(
        ['module', 'twin', 'model'],
        "the module twin's 'model' property is written by the engine from the model reference",
        "pass the model through 'model' and remove 'model' from the extra twin properties",
      ),
    );
  }
  const { name, version, uri, hash } = module.model;
  return { model: { name, version, uri, ...(hash !== undefined ? { hash } : {}) }, ...module.twin };
}
