// The register-model stage: inputs → checked registration options and an Azure credential → the
// registration → outputs and a job summary. Every input problem (model, workspace and sign-in) is
// reported at once, before anything touches Azure.
import { InputError, type InputProblem, type ParsedInputs } from '../action/parse-inputs.js';
import {
  credentialFromInputs,
  describeIdentity,
  signInInputs,
  signInProblems,
} from '../azure/credential-inputs.js';
import { registerChecked } from '../model/register-model.js';
import {
  checkRegistration,
  type CheckedRegistration,
  type ModelType,
  type RegisterModelOptions,
} from '../model/registration-options.js';
import { registrationOutputs, registrationSummary } from '../model/summary.js';
import { parseReleaseVersion, stripVersionPrefix } from '../rollout/release-id.js';
import type { RunInfo, StageContext, StageResult } from './index.js';
import { textInput as text } from '../action/parse-inputs.js';

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

/**
 * Every problem of the registration's inputs (model, workspace, sign-in) and, when there is none,
 * the checked registration: what runRegisterModel checks before it touches Azure, and what the
 * pipeline checks before its first write.
 */
export function registrationInputProblems(
  inputs: ParsedInputs,
  context: Pick<StageContext, 'run' | 'getIdToken'>,
): { registration?: CheckedRegistration; problems: InputProblem[] } {
  const { registration, problems } = checkRegistration(registrationOptions(inputs, context.run));
  const all = [...problems, ...signInProblems(signInInputs(inputs), Boolean(context.getIdToken))];
  return all.length || !registration ? { problems: all } : { registration, problems: [] };
}

export async function runRegisterModel(inputs: ParsedInputs, context: StageContext): Promise<StageResult> {
  const { registration, problems } = registrationInputProblems(inputs, context);
  if (!registration) throw new InputError(problems);

  const signIn = signInInputs(inputs);
  const credential = credentialFromInputs(signIn, { getIdToken: context.getIdToken, logger: context.logger });
  const model = await registerChecked(registration, {
    credential,
    logger: context.logger,
    mask: context.mask,
    identity: describeIdentity(signIn, credential.kind),
  });
  return { outputs: registrationOutputs(model), summary: registrationSummary(model) };
}
