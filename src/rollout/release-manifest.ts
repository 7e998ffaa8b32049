// The release's deployment manifest from the rollout inputs, with the manifest engine (src/edge):
// a template expanded with `${MODULES.<module-name>}` = image-ref, the environment and the env-file,
// or else a manifest generated for the model module; then the device registry credentials, then
// validation (the image of the model module pinned by digest). Throws ManifestError or
// RolloutInputError with every problem; hands every registry password to `mask` first.
import {
  generateLayeredManifest,
  generateManifest,
  ManifestError,
  type DeploymentManifest,
  expandTemplate,
  type ModelModuleOptions,
  type RegistryCredentialInput,
  type RestartPolicy,
  secretValues,
  validateManifest,
  withRegistryCredentials,
} from '../edge/index.js';
import { moduleEntries } from '../edge/manifest-shape.js';
import { type Problem, RolloutInputError } from './problems.js';

export interface ManifestInputs {
  moduleName: string;
  /** `name@sha256:…`; required without a template. */
  imageRef?: string;
  template?: { text: string; file: string };
  /** The `.env` file's content. */
  envFile?: string;
  /** Variables for `$VAR` in the template (the step's environment). */
  env?: Readonly<Record<string, string | undefined>>;
  moduleEnv?: Readonly<Record<string, string>>;
  /** Docker createOptions as JSON text. */
  createOptions?: string;
  restartPolicy?: RestartPolicy;
  startupOrder?: number;
  edgeAgentImage?: string;
  edgeHubImage?: string;
  layered?: boolean;
  registry?: { address?: string; username?: string; password?: string };
  model: { name: string; version: string; uri: string };
  /** The module's `version` field. */
  release: string;
}

export interface ReleaseManifest {
  manifest: DeploymentManifest;
  /** Registry passwords in the manifest: mask them before anything is logged. */
  secrets: string[];
  /** `$VAR` references nothing defined (left as written; validation reports them). */
  leftAsWritten: string[];
}

function registryInput(registry: ManifestInputs['registry']): RegistryCredentialInput[] {
  const given = Object.entries(registry ?? {}).filter(([, value]) => value);
  if (given.length === 0) return [];
  const problems: Problem[] = (['address', 'username', 'password'] as const)
    .filter((field) => !registry?.[field])
    .map((field) => ({
      path: `device-registry-${field}`,
      message: 'is missing',
      fix: `device-registry-address, -username and -password go together: set device-registry-${field} too`,
    }));
  if (problems.length > 0) throw new RolloutInputError('device-registry-*', problems);
  const { address, username, password } = registry as Required<NonNullable<ManifestInputs['registry']>>;
  return [{ address, username, password }];
}

function generated(inputs: ManifestInputs, registries: RegistryCredentialInput[]): DeploymentManifest {
  if (!inputs.imageRef) {
    throw new RolloutInputError('image-ref', [
      {
        path: 'image-ref',
        message:
          'is missing: without a template the manifest is generated for the model module, which needs its image',
        fix: 'pass the image pinned by digest (the build-image output image-ref), or a template',
      },
    ]);
  }
  const module: ModelModuleOptions = {
    name: inputs.moduleName,
    image: inputs.imageRef,
    version: inputs.release,
    model: inputs.model,
    ...(inputs.moduleEnv ? { env: inputs.moduleEnv } : {}),
    ...(inputs.createOptions ? { createOptions: inputs.createOptions } : {}),
    ...(inputs.restartPolicy ? { restartPolicy: inputs.restartPolicy } : {}),
    ...(inputs.startupOrder === undefined ? {} : { startupOrder: inputs.startupOrder }),
  };
  if (inputs.layered) return generateLayeredManifest({ module, registries });
  return generateManifest({
    module,
    registries,
    ...(inputs.edgeAgentImage ? { edgeAgentImage: inputs.edgeAgentImage } : {}),
    ...(inputs.edgeHubImage ? { edgeHubImage: inputs.edgeHubImage } : {}),
  });
}

/** `mask` is called with every secret as soon as it is known, before validation can mention anything. */
export function buildReleaseManifest(
  inputs: ManifestInputs,
  mask: (secret: string) => void = () => undefined,
): ReleaseManifest {
  const registries = registryInput(inputs.registry);
  let manifest: DeploymentManifest;
  let leftAsWritten: string[] = [];
  if (inputs.template) {
    const expanded = expandTemplate(inputs.template.text, {
      file: inputs.template.file,
      ...(inputs.imageRef ? { modules: { [inputs.moduleName]: inputs.imageRef } } : {}),
      ...(inputs.env ? { env: inputs.env } : {}),
      ...(inputs.envFile !== undefined ? { dotenv: inputs.envFile } : {}),
    });
    leftAsWritten = expanded.leftAsWritten;
    manifest = registries.length ? withRegistryCredentials(expanded.manifest, registries) : expanded.manifest;
  } else {
    manifest = generated(inputs, registries);
  }
  const secrets = [...new Set([...registries.map((r) => r.password), ...secretValues(manifest)])];
  secrets.forEach(mask);
  if (!moduleEntries(manifest).some((entry) => !entry.system && entry.name === inputs.moduleName)) {
    const names = moduleEntries(manifest)
      .filter((entry) => !entry.system)
      .map((entry) => entry.name);
    throw new ManifestError([
      {
        path: 'module-name',
        message: `the manifest has no module '${inputs.moduleName}' (it has ${names.join(', ') || 'none'}), so the gates could not watch it`,
        fix: 'set module-name to the model module of the template',
      },
    ]);
  }
  validateManifest(manifest, { requireDigest: [inputs.moduleName] });
  return { manifest, secrets, leftAsWritten };
}
