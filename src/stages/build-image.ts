// The build-image stage: inputs → a checked plan (every input problem at once, plus the context and
// Dockerfile on disk) → the build → outputs and a job summary. Device pull credentials are secrets:
// they never become outputs; the pipeline takes them in-process from buildImageFromInputs.
import { readFileSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { InputError, type InputProblem, type ParsedInputs } from '../action/parse-inputs.js';
import {
  credentialFromInputs,
  describeIdentity,
  signInInputs,
  signInProblems,
} from '../azure/credential-inputs.js';
import { dockerfileOf, planImageBuild, type ImagePlan } from '../image/build-options.js';
import {
  buildImage,
  imageOutputs,
  imageSummary,
  type BuildImageDeps,
  type BuildImageResult,
} from '../image/build-image.js';
import {
  chooseStrategy,
  type StrategyDecision,
  type StrategyFacts,
} from '../image/fast-path/choose-strategy.js';
import { machineSystem, type ImageSystem } from '../image/system.js';
import type { StageContext, StageResult } from './index.js';
import { textInput as text } from '../action/parse-inputs.js';

/** `https://…` or `git@…`: buildx fetches it; nothing on disk to check or read. */
const REMOTE_CONTEXT = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;

function kindOf(path: string): 'file' | 'directory' | 'other' | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  } catch {
    return undefined;
  }
}

/** The context folder and Dockerfile must exist (remote contexts, `https://` or `git@`, are not checked). */
function fileProblems(plan: Pick<ImagePlan, 'mode' | 'context' | 'file'>, cwd: string): InputProblem[] {
  if (plan.mode === 'merge') return [];
  const problems: InputProblem[] = [];
  const remote = REMOTE_CONTEXT.test(plan.context);
  let contextKind: ReturnType<typeof kindOf>;
  if (!remote) {
    const context = resolve(cwd, plan.context);
    const kind = (contextKind = kindOf(context));
    if (kind !== 'directory')
      problems.push({
        input: 'context',
        message: kind
          ? `'${plan.context}' is a ${kind}, not a folder: the context is the folder the Dockerfile builds from`
          : `'${plan.context}' does not exist (looked in ${context})`,
      });
  }
  // Without a `file`, the Dockerfile is looked for only in a context that exists (one problem, not two).
  if (plan.file || contextKind === 'directory') {
    const file = dockerfileOf(plan, cwd);
    const kind = kindOf(file);
    if (kind !== 'file')
      problems.push({
        input: 'file',
        message: kind
          ? `'${plan.file ?? file}' is a ${kind}, not a Dockerfile`
          : plan.file
            ? `'${plan.file}' does not exist (looked in ${file})`
            : `there is no Dockerfile in the context (${file}): add one or give its path in \`file\``,
      });
  }
  return problems;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** What choose-strategy needs from the disk: the model path's kind and place, the Dockerfile's text. */
function strategyFacts(plan: ImagePlan, cwd: string): StrategyFacts {
  const context = resolve(cwd, plan.context);
  const remoteContext = REMOTE_CONTEXT.test(plan.context);
  const model = plan.modelPath ? resolve(cwd, plan.modelPath) : undefined;
  const kind = model ? kindOf(model) : undefined;
  return {
    requested: plan.strategy,
    mode: plan.mode,
    push: plan.push,
    ociLayout: plan.ociLayout,
    provenance: plan.provenance,
    sbom: plan.sbom,
    modelPath: plan.modelPath,
    modelInContext: model && !remoteContext ? relative(context, model).split(sep).join('/') : undefined,
    modelKind: kind === 'file' ? 'file' : kind === 'directory' ? 'folder' : undefined,
    remoteContext,
    dockerfileText: remoteContext ? undefined : readText(dockerfileOf(plan, cwd)),
    modelImagePath: plan.modelImagePath,
    environmentImage: plan.environmentImage,
  };
}

/** An image plan whose inputs, context files and build path were checked. */
export type CheckedImagePlan = ImagePlan & { decision: StrategyDecision };

/** The build signs in to Azure for an ACR login through Entra ID, or to make a device pull token. */
function signsInToAzure(plan: ImagePlan): boolean {
  return plan.login.kind === 'entra' || plan.devicePullToken !== undefined;
}

/**
 * Every problem of the image's inputs (the plan, the context and Dockerfile on disk, the build path,
 * the Azure sign-in when the build needs one) and, when there is none, the checked plan: what
 * buildImageFromInputs checks before it builds, and what the pipeline checks before its first write.
 */
export function imageInputProblems(
  inputs: ParsedInputs,
  context: Pick<StageContext, 'run' | 'getIdToken'>,
): { plan?: CheckedImagePlan; problems: InputProblem[] } {
  const { plan, problems } = planImageBuild(inputs, {
    run: context.run,
    now: new Date().toISOString(),
    inActions: context.run.runId !== undefined,
  });
  const cwd = process.cwd();
  const files = fileProblems(
    {
      mode: inputs['build-mode'] === 'merge' ? 'merge' : 'multi-platform',
      context: text(inputs, 'context') ?? '.',
      file: text(inputs, 'file'),
    },
    cwd,
  );
  const strategy = plan && files.length === 0 ? chooseStrategy(strategyFacts(plan, cwd)) : undefined;
  const all = [
    ...problems,
    ...files,
    ...(strategy?.problems ?? []),
    ...(plan && signsInToAzure(plan)
      ? signInProblems(signInInputs(inputs), Boolean(context.getIdToken))
      : []),
  ];
  return all.length || !plan || !strategy
    ? { problems: all }
    : { plan: { ...plan, decision: strategy.decision }, problems: [] };
}

/**
 * The build, with its typed result (device pull credentials included): for the pipeline, which
 * hands the credentials to the rollout in-process. `overrides` replace collaborators in tests.
 */
export async function buildImageFromInputs(
  inputs: ParsedInputs,
  context: StageContext,
  system: ImageSystem = machineSystem(),
  overrides: Partial<BuildImageDeps> = {},
): Promise<BuildImageResult> {
  const { plan, problems } = imageInputProblems(inputs, context);
  if (!plan) throw new InputError(problems);

  const signIn = signInInputs(inputs);
  const needsAzure = signsInToAzure(plan);
  let credential: ReturnType<typeof credentialFromInputs> | undefined;
  const getCredential = () =>
    (credential ??= credentialFromInputs(signIn, { getIdToken: context.getIdToken, logger: context.logger }));
  return buildImage(plan, {
    system,
    logger: context.logger,
    mask: context.mask,
    workDir: context.workDir,
    credential: needsAzure ? getCredential : undefined,
    identity: needsAzure ? describeIdentity(signIn, getCredential().kind) : undefined,
    ...overrides,
  });
}

/**
 * The build-image sub-action and CLI command. A device pull token is refused here: its password
 * goes to the rollout in-process only (never an output), so on its own this step would rotate a
 * password that no later step receives.
 */
export async function runBuildImage(inputs: ParsedInputs, context: StageContext): Promise<StageResult> {
  if (inputs['device-pull-token'] === true)
    throw new InputError([
      {
        input: 'device-pull-token',
        message:
          "hands the devices' password to the rollout in-process, never as an output: use it with the root action (build and rollout in one step). " +
          'With build-image alone, give the rollout a pull-only identity through device-registry-username/-password.',
      },
    ]);
  const result = await buildImageFromInputs(inputs, context);
  return { outputs: imageOutputs(result), summary: imageSummary(result) };
}
