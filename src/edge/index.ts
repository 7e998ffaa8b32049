// The deployment-manifest engine: pure functions (plus the schemas bundled as data), no network.
//
//   generateManifest(options)            a complete base deployment for the model module
//   generateLayeredManifest(options)     the model module as a layered deployment
//   expandTemplate(text | object, opts)  iotedgedev / VS Code deployment.template.json → manifest
//                                        → { manifest, leftAsWritten }
//   normalizeCreateOptions(manifest)     createOptions objects → compact JSON text in 512-char chunks
//   withRegistryCredentials(manifest, registries), registryCredentials(registries), credentialName(address)
//   secretValues(manifest)               registry passwords, to mask before logging
//   isLayered(manifest)                  shape-based, as IoT Hub decides
//   validateManifest(manifest, opts)     throws ManifestError listing every problem
//   manifestProblems(manifest, opts)     the same problems as a list
//   templateProblems(template)           the template 4.0 schema, before expansion
//   manifestSummary(manifest)            modules, images, routes, twin sizes (and log lines)
//
// Every error is a ManifestError whose `problems` are { path, message, fix }. Call validateManifest
// before writing anything: generation and expansion build manifests, they do not validate them.
export { ManifestError, jsonPath } from './errors.js';
export type { ManifestProblem } from './errors.js';
export {
  CREATE_OPTIONS_CHUNK_SIZE,
  CREATE_OPTIONS_MAX_CHUNKS,
  CREATE_OPTIONS_MAX_LENGTH,
  compactCreateOptions,
  normalizeCreateOptions,
  splitCreateOptions,
} from './create-options.js';
export {
  DEFAULT_STORE_AND_FORWARD_TTL_SECS,
  EDGE_HUB_PORT_BINDINGS,
  generateManifest,
  upstreamRoute,
} from './generate.js';
export type { GenerateManifestOptions } from './generate.js';
export { generateLayeredManifest, isLayered } from './layered.js';
export type { GenerateLayeredManifestOptions } from './layered.js';
export type { ModelModuleOptions, ModelReference, ModuleOptions } from './module-definition.js';
export {
  credentialName,
  registryCredentials,
  secretValues,
  withRegistryCredentials,
} from './registry-credentials.js';
export type { RegistryCredential, RegistryCredentialInput } from './registry-credentials.js';
export { manifestSummary } from './summary.js';
export type { ManifestSummary } from './summary.js';
export { expandTemplate, parseTemplateText } from './template.js';
export type { ExpandTemplateOptions, ExpandedTemplate, ModuleImage } from './template.js';
export { TWIN_LIMITS } from './twin-limits.js';
export {
  DEFAULT_EDGE_AGENT_IMAGE,
  DEFAULT_EDGE_HUB_IMAGE,
  EDGE_AGENT_SCHEMA_VERSION,
  EDGE_HUB_SCHEMA_VERSION,
} from './types.js';
export type {
  CreateOptions,
  DeploymentManifest,
  EnvValues,
  ImagePullPolicy,
  JsonObject,
  JsonValue,
  ModuleStatus,
  RestartPolicy,
  Route,
} from './types.js';
export { MAX_MODULES, manifestProblems, templateProblems, validateManifest } from './validate.js';
export type { ValidateManifestOptions } from './validate.js';
