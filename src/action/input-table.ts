// The one description of every input and output. It feeds the action readers, the CLI flags, the
// generated action.yml files and README tables, and the test that holds them all to it.

export type ActionName = 'pipeline' | 'register-model' | 'build-image' | 'rollout';
export const ACTION_NAMES: readonly ActionName[] = ['pipeline', 'register-model', 'build-image', 'rollout'];

export type InputType = 'string' | 'boolean' | 'integer' | 'list' | 'choice' | 'key-values' | 'yaml';

export interface InputSpec {
  name: string;
  type: InputType;
  description: string;
  /** The default as action.yml states it (always a string); absent = no default. */
  default?: string;
  /** For `choice` inputs. */
  choices?: readonly string[];
  /** Required for these actions (checked in code, as GitHub does not enforce `required`). */
  requiredFor?: readonly ActionName[];
  /** The value is a secret: masked as soon as it is read, never logged or written to outputs. */
  secret?: boolean;
  /** Sub-actions that take it; the root `pipeline` action takes the union of all inputs. */
  actions: readonly ActionName[];
}

export interface OutputSpec {
  name: string;
  description: string;
  actions: readonly ActionName[];
}

const MODEL: ActionName[] = ['register-model'];
const IMAGE: ActionName[] = ['build-image'];
const ROLLOUT: ActionName[] = ['rollout'];
const AZURE: ActionName[] = ['register-model', 'build-image', 'rollout'];
const IMAGE_AND_ROLLOUT: ActionName[] = ['build-image', 'rollout'];

export const INPUTS: readonly InputSpec[] = [
  // Release identity: shared by every stage.
  {
    name: 'app',
    type: 'string',
    description:
      'Application name: prefix of the deployment ids and the `app` label. Default: the repository name.',
    actions: ['register-model', 'build-image', 'rollout'],
  },
  {
    name: 'release',
    type: 'string',
    description:
      "Release version: semver, a leading `v` is dropped (`v1.4.0` → `1.4.0`). When empty, derived from the published release or pushed tag (`refs/tags/v1.4.0`; `app/v1.4.0` in a monorepo); on the root action a `workflow_dispatch`'s `inputs.release` comes first.",
    actions: ['register-model', 'build-image', 'rollout'],
  },
  // Azure sign-in.
  {
    name: 'client-id',
    type: 'string',
    description:
      'Client id of the Entra application or managed identity used with GitHub OIDC or a client secret.',
    actions: AZURE,
  },
  { name: 'tenant-id', type: 'string', description: 'Entra tenant id.', actions: AZURE },
  {
    name: 'client-secret',
    type: 'string',
    secret: true,
    description: 'Client secret, when OIDC federation is not set up. Prefer OIDC (`id-token: write`).',
    actions: AZURE,
  },
  {
    name: 'audience',
    type: 'string',
    default: 'api://AzureADTokenExchange',
    description: 'Audience of the GitHub OIDC token exchanged for an Entra token.',
    actions: AZURE,
  },
  {
    name: 'authority-host',
    type: 'string',
    default: 'https://login.microsoftonline.com',
    description: 'Entra authority host (sovereign clouds use their own).',
    actions: AZURE,
  },
  {
    name: 'arm-endpoint',
    type: 'string',
    default: 'https://management.azure.com',
    description: 'Azure Resource Manager endpoint (sovereign clouds use their own).',
    actions: ['register-model', 'build-image'],
  },
  {
    name: 'subscription-id',
    type: 'string',
    description: 'Azure subscription id.',
    actions: ['register-model', 'build-image'],
  },
  {
    name: 'resource-group',
    type: 'string',
    description: 'Resource group of the Azure ML workspace (and of the registry for device tokens).',
    actions: ['register-model', 'build-image'],
  },
  // register-model
  {
    name: 'workspace',
    type: 'string',
    description: 'Azure Machine Learning workspace name.',
    requiredFor: MODEL,
    actions: MODEL,
  },
  {
    name: 'model-path',
    type: 'string',
    description:
      'Model file or folder to register; build-image appends it as one layer when the model-layer path applies.',
    requiredFor: MODEL,
    actions: ['register-model', 'build-image'],
  },
  {
    name: 'model-name',
    type: 'string',
    description:
      'Model name in the workspace; also written to the module twin and the image labels. Default: the app name.',
    actions: ['register-model', 'build-image', 'rollout'],
  },
  {
    name: 'model-version',
    type: 'string',
    description:
      "Model version (also an image label). Default: the workspace's next version (the existing version when the same content is already registered).",
    actions: ['register-model', 'build-image', 'rollout'],
  },
  {
    name: 'model-type',
    type: 'choice',
    choices: ['custom_model', 'mlflow_model', 'triton_model'],
    default: 'custom_model',
    description: 'Azure ML model type.',
    actions: MODEL,
  },
  {
    name: 'model-description',
    type: 'string',
    description: 'Description of the model version.',
    actions: MODEL,
  },
  {
    name: 'model-tags',
    type: 'key-values',
    description:
      '`key=value` tags, one per line or comma-separated. The commit and release are always added.',
    actions: MODEL,
  },
  {
    name: 'model-properties',
    type: 'key-values',
    description: '`key=value` properties, one per line or comma-separated.',
    actions: MODEL,
  },
  {
    name: 'model-uri',
    type: 'string',
    description:
      'Model URI (`azureml://...`) for the module twin when the model was registered in an earlier job.',
    actions: ROLLOUT,
  },
  // build-image
  { name: 'context', type: 'string', default: '.', description: 'Docker build context.', actions: IMAGE },
  {
    name: 'file',
    type: 'string',
    description: 'Dockerfile path. Default: `Dockerfile` in the context.',
    actions: IMAGE,
  },
  {
    name: 'platforms',
    type: 'list',
    default: 'linux/amd64,linux/arm64,linux/arm/v7',
    description: 'Target platforms of the image; the rollout checks them against the devices it targets.',
    actions: IMAGE_AND_ROLLOUT,
  },
  {
    name: 'registry',
    type: 'string',
    description: 'Registry host, e.g. `myacr.azurecr.io`.',
    requiredFor: IMAGE,
    actions: IMAGE,
  },
  {
    name: 'image',
    type: 'string',
    description: 'Image repository in the registry. Default: the app name.',
    actions: IMAGE,
  },
  {
    name: 'tags',
    type: 'list',
    description:
      'Image tags. Default: from the git ref (semver tags for release tags, plus a short-sha tag; `latest` only with `latest: true`).',
    actions: IMAGE,
  },
  {
    name: 'latest',
    type: 'boolean',
    default: 'false',
    description: 'Also tag the image `latest`.',
    actions: IMAGE,
  },
  {
    name: 'build-args',
    type: 'list',
    description: '`NAME=value` build arguments, one per line.',
    actions: IMAGE,
  },
  {
    name: 'labels',
    type: 'list',
    description:
      'Extra OCI labels `key=value`. Source, revision, version, created and model labels are added.',
    actions: IMAGE,
  },
  {
    name: 'cache-from',
    type: 'list',
    description: 'buildx `--cache-from` entries. Default inside Actions: the GitHub Actions cache.',
    actions: IMAGE,
  },
  {
    name: 'cache-to',
    type: 'list',
    description: 'buildx `--cache-to` entries. Default inside Actions: the GitHub Actions cache (mode=max).',
    actions: IMAGE,
  },
  {
    name: 'push',
    type: 'boolean',
    default: 'true',
    description: 'Push the image. `false` builds only (a rollout then needs `image-ref`).',
    actions: IMAGE,
  },
  {
    name: 'provenance',
    type: 'boolean',
    default: 'false',
    description: 'Attach a provenance attestation.',
    actions: IMAGE,
  },
  {
    name: 'sbom',
    type: 'boolean',
    default: 'false',
    description: 'Attach an SBOM attestation.',
    actions: IMAGE,
  },
  {
    name: 'builder',
    type: 'string',
    description: 'buildx builder to use. Default: the current builder.',
    actions: IMAGE,
  },
  {
    name: 'build-mode',
    type: 'choice',
    choices: ['multi-platform', 'per-platform', 'merge'],
    default: 'multi-platform',
    description:
      '`multi-platform` builds every platform at once; `per-platform` builds the one platform given and pushes it by digest (matrix jobs); `merge` joins `digests` into one index.',
    actions: IMAGE,
  },
  {
    name: 'digests',
    type: 'list',
    description: 'Per-platform digests to join, for `build-mode: merge`.',
    actions: IMAGE,
  },
  {
    name: 'strategy',
    type: 'choice',
    choices: ['auto', 'full', 'model-layer'],
    default: 'auto',
    description:
      '`model-layer` appends the model (`model-path`) as one layer to an environment image built only when something but the model changed (no Docker when it exists); `full` always rebuilds with buildx; `auto` takes `model-layer` when the Dockerfile copies the model last, else `full`.',
    actions: IMAGE,
  },
  {
    name: 'model-image-path',
    type: 'string',
    description:
      "Absolute path of the model in the image, for the model-layer path when the Dockerfile's COPY does not say it plainly (a variable, a relative path). Default: read from the Dockerfile.",
    actions: IMAGE,
  },
  {
    name: 'environment-image',
    type: 'string',
    description:
      'Image to append the model to (`registry/repo:tag`, `repo@sha256:…` or `oci:<folder>[:<tag>]`) instead of the environment image built from the Dockerfile and tagged `env-<hash>`.',
    actions: IMAGE,
  },
  {
    name: 'oci-layout',
    type: 'string',
    description:
      'Write the release image into this OCI image layout folder instead of pushing it (offline use, the sandbox). Model-layer path only.',
    actions: IMAGE,
  },
  { name: 'registry-username', type: 'string', description: 'Registry user for pushing.', actions: IMAGE },
  {
    name: 'registry-password',
    type: 'string',
    secret: true,
    description: 'Registry password or token for pushing (passed to docker through stdin).',
    actions: IMAGE,
  },
  {
    name: 'device-pull-token',
    type: 'boolean',
    default: 'false',
    description:
      'Create or rotate an ACR repository-scoped, pull-only token for the devices and use it as the manifest registry credential.',
    actions: IMAGE,
  },
  // rollout
  {
    name: 'command',
    type: 'choice',
    choices: ['auto', 'plan', 'start', 'promote', 'rollback', 'status'],
    default: 'auto',
    description:
      "`auto` starts the release and promotes it ring by ring while gates pass, rolling back on failure; the others do one step. On the root action, `auto` (the default) lets a `workflow_dispatch`'s `inputs.command` apply: `status`, `promote`, `rollback` and `plan` then run alone, without registering or building; any other value given here wins.",
    actions: ROLLOUT,
  },
  {
    name: 'iothub-connection-string',
    type: 'string',
    secret: true,
    description:
      'IoT Hub connection string of a hub-level shared access policy with the Registry Read, Registry Write and Service Connect permissions (deployments, and twin queries), e.g. `iothubowner`; never a device connection string. Prefer `iothub-host-name` with Entra ID.',
    actions: ROLLOUT,
  },
  {
    name: 'iothub-host-name',
    type: 'string',
    description: 'IoT Hub host name (`myhub.azure-devices.net`) for Entra ID sign-in.',
    actions: ROLLOUT,
  },
  {
    name: 'rings',
    type: 'yaml',
    description: 'Rings as YAML, or the path of a YAML file. Default: canary, pilot, fleet by `tags.ring`.',
    actions: ROLLOUT,
  },
  {
    name: 'template',
    type: 'string',
    description:
      'Deployment template (`deployment.template.json`). Default: a manifest generated for the model module.',
    actions: ROLLOUT,
  },
  {
    name: 'env-file',
    type: 'string',
    description: '`.env` file whose variables expand `$VAR` in the template.',
    actions: ROLLOUT,
  },
  {
    name: 'module-name',
    type: 'string',
    default: 'model',
    description: 'Name of the model module.',
    actions: ROLLOUT,
  },
  {
    name: 'image-ref',
    type: 'string',
    description:
      'Image of the model module, pinned by digest (`name@sha256:...`). Default: the image just built.',
    actions: ROLLOUT,
  },
  {
    name: 'module-env',
    type: 'key-values',
    description: '`NAME=value` environment variables of the model module.',
    actions: ROLLOUT,
  },
  {
    name: 'create-options',
    type: 'string',
    description: 'Docker createOptions of the model module, as JSON.',
    actions: ROLLOUT,
  },
  {
    name: 'restart-policy',
    type: 'choice',
    choices: ['always', 'on-failure', 'on-unhealthy', 'never'],
    default: 'always',
    description: 'Restart policy of the model module.',
    actions: ROLLOUT,
  },
  {
    name: 'startup-order',
    type: 'integer',
    description: 'Startup order of the model module (lower starts first).',
    actions: ROLLOUT,
  },
  {
    name: 'edge-agent-image',
    type: 'string',
    description: 'edgeAgent image. Default: IoT Edge 1.5.',
    actions: ROLLOUT,
  },
  {
    name: 'edge-hub-image',
    type: 'string',
    description: 'edgeHub image. Default: IoT Edge 1.5.',
    actions: ROLLOUT,
  },
  {
    name: 'layered',
    type: 'boolean',
    default: 'false',
    description: 'Deploy the model module as a layered deployment on top of an existing base deployment.',
    actions: ROLLOUT,
  },
  {
    name: 'device-registry-address',
    type: 'string',
    description: 'Registry address devices pull from (manifest `registryCredentials`).',
    actions: ROLLOUT,
  },
  {
    name: 'device-registry-username',
    type: 'string',
    description: 'User name devices pull with. Never the CI push identity unless you pass it here yourself.',
    actions: ROLLOUT,
  },
  {
    name: 'device-registry-password',
    type: 'string',
    secret: true,
    description: 'Password devices pull with (stored in the deployment, visible to the devices).',
    actions: ROLLOUT,
  },
  {
    name: 'first-release',
    type: 'boolean',
    default: 'false',
    description: 'Allow a start with no earlier release of the app to fall back to.',
    actions: ROLLOUT,
  },
  {
    name: 'force',
    type: 'boolean',
    default: 'false',
    description: 'Start even while another release of the app is in progress.',
    actions: ROLLOUT,
  },
  {
    name: 'keep-releases',
    type: 'integer',
    default: '3',
    description: 'Earlier releases kept as fallbacks; older ones are deleted once no device is on them.',
    actions: ROLLOUT,
  },
  {
    name: 'hub-units',
    type: 'integer',
    default: '1',
    description: 'IoT Hub units: sizes the query and configuration budget (about 20 per minute per unit).',
    actions: ROLLOUT,
  },
  {
    name: 'github-deployments',
    type: 'boolean',
    default: 'false',
    description: 'Record a GitHub Deployment per ring environment.',
    actions: ROLLOUT,
  },
  {
    name: 'github-token',
    type: 'string',
    secret: true,
    default: '${{ github.token }}',
    description: 'Token for GitHub Deployments.',
    actions: ROLLOUT,
  },
];

export const OUTPUTS: readonly OutputSpec[] = [
  { name: 'model-name', description: 'Registered model name.', actions: MODEL },
  { name: 'model-version', description: 'Registered model version.', actions: MODEL },
  { name: 'model-id', description: 'ARM id of the model version.', actions: MODEL },
  { name: 'model-uri', description: '`azureml://` URI of the model version.', actions: MODEL },
  { name: 'model-hash', description: 'Content hash of the model, as Azure ML computes it.', actions: MODEL },
  { name: 'image', description: 'Image name (registry/repository).', actions: IMAGE },
  { name: 'digest', description: 'Digest of the image index.', actions: IMAGE },
  { name: 'image-ref', description: 'Image pinned by digest (`image@digest`).', actions: IMAGE },
  { name: 'tags', description: 'Tags pushed, comma-separated.', actions: IMAGE },
  {
    name: 'platforms',
    description: 'Platforms present in the pushed index, comma-separated.',
    actions: IMAGE,
  },
  {
    name: 'build-strategy',
    description: '`full` or `model-layer`: the path the build took.',
    actions: IMAGE,
  },
  { name: 'deployment-id', description: 'IoT Hub deployment id of the release.', actions: ROLLOUT },
  {
    name: 'state',
    description:
      'Rollout state: none (nothing started), planned, in-progress, held (waiting for promote), completed, rolled-back or failed.',
    actions: ROLLOUT,
  },
  { name: 'ring', description: 'Last ring the release reached.', actions: ROLLOUT },
  { name: 'rings-report', description: 'Per-ring counts and verdicts, as JSON.', actions: ROLLOUT },
];

/** Inputs of one action; the root `pipeline` action takes all of them. */
export function inputsOf(action: ActionName): InputSpec[] {
  return INPUTS.filter((input) => action === 'pipeline' || input.actions.includes(action));
}

export function outputsOf(action: ActionName): OutputSpec[] {
  return OUTPUTS.filter((output) => action === 'pipeline' || output.actions.includes(action));
}
