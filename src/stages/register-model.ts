// The register-model stage: inputs → checked registration options and an Azure credential → the
// registration → outputs and a job summary. Every input problem (model, workspace and sign-in) is
// reported at once, before anything touches Azure.
import { InputError, type ParsedInputs } from '../action/parse-inputs.js';
import {
  credentialFromInputs,
  describeIdentity,
  signInInputs,
  signInProblems,
} from '../azure/credential-inputs.js';
import { registerChecked } from '../model/register-model.js';
import {
  checkRegistration,
  type ModelType,
  type RegisterModelOptions,
} from '../model/registration-options.js';
import { registrationOutputs, registrationSummary } from '../model/summary.js';
import { parseReleaseVersion, stripVersionPrefix } from '../rollout/release-id.js';
import type { RunInfo, StageContext, StageResult } from './index.js';

function text(inputs: ParsedInputs, name: string): string | undefined {
  const value = inputs[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function keyValues(inputs: ParsedInputs, name: string): Record<string, string> {
  const value = inputs[name];
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

/** The model name: the input, else the app, else the repository's name. */
function defaultModelName(inputs: ParsedInputs, run: RunInfo): string {
  return text(inputs, 'model-name') ?? text(inputs, 'app') ?? run.repository?.split('/').pop() ?? '';
}

/** Options of a registration from the stage's inputs and the run's facts. */
export function registrationOptions(
  inputs: ParsedInputs,
  run: RunInfo,
  baseDir?: string,
): RegisterModelOptions {
  const release = text(inputs, 'release');
  return {
    modelPath: text(inputs, 'model-path') ?? '',
    modelName: defaultModelName(inputs, run),
    modelVersion: text(inputs, 'model-version'),
    modelType: (text(inputs, 'model-type') ?? 'custom_model') as ModelType,
    description: text(inputs, 'model-description'),
    tags: keyValues(inputs, 'model-tags'),
    properties: keyValues(inputs, 'model-properties'),
    subscriptionId: text(inputs, 'subscription-id') ?? '',
    resourceGroup: text(inputs, 'resource-group') ?? '',
    workspace: text(inputs, 'workspace') ?? '',
    armEndpoint: text(inputs, 'arm-endpoint'),
    commit: run.commit,
    release: release ? stripVersionPrefix(release) : run.ref ? parseReleaseVersion(run.ref) : undefined,
    repository: run.repository,
    runUrl: run.runUrl,
    baseDir,
  };
}

export async function runRegisterModel(inputs: ParsedInputs, context: StageContext): Promise<StageResult> {
  const signIn = signInInputs(inputs);
  const { registration, problems } = checkRegistration(registrationOptions(inputs, context.run));
  const allProblems = [...problems, ...signInProblems(signIn, Boolean(context.getIdToken))];
  if (allProblems.length || !registration) throw new InputError(allProblems);

  const credential = credentialFromInputs(signIn, { getIdToken: context.getIdToken, logger: context.logger });
  const model = await registerChecked(registration, {
    credential,
    logger: context.logger,
    mask: context.mask,
    identity: describeIdentity(signIn, credential.kind),
  });
  return { outputs: registrationOutputs(model), summary: registrationSummary(model) };
}
