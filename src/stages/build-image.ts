// The build-image stage: inputs → a checked plan (every input problem at once, plus the context and
// Dockerfile on disk) → the build → outputs and a job summary. Device pull credentials are secrets:
// they never become outputs; the pipeline takes them in-process from buildImageFromInputs.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, type InputProblem, type ParsedInputs } from '../action/parse-inputs.js';
import {
  credentialFromInputs,
  describeIdentity,
  signInInputs,
  signInProblems,
} from '../azure/credential-inputs.js';
import { planImageBuild, type ImagePlan } from '../image/build-options.js';
import {
  buildImage,
  imageOutputs,
  imageSummary,
  type BuildImageDeps,
  type BuildImageResult,
} from '../image/build-image.js';
import { machineSystem, type ImageSystem } from '../image/system.js';
import type { StageContext, StageResult } from './index.js';

function kindOf(path: string): 'file' | 'directory' | 'other' | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  } catch {
    return undefined;
  }
}

/** The context folder and Dockerfile must exist (remote contexts, `https://` or `git@`, are not checked). */
export function fileProblems(
  plan: Pick<ImagePlan, 'mode' | 'context' | 'file'>,
  cwd = process.cwd(),
): InputProblem[] {
  if (plan.mode === 'merge') return [];
  const problems: InputProblem[] = [];
  const remote = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i.test(plan.context);
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
    const file = resolve(cwd, plan.file ?? resolve(cwd, plan.context, 'Dockerfile'));
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
  const signIn = signInInputs(inputs);
  const { plan, problems } = planImageBuild(inputs, {
    run: context.run,
    now: new Date().toISOString(),
    inActions: context.run.runId !== undefined,
  });
  const needsAzure = plan ? plan.login.kind === 'entra' || plan.devicePullToken !== undefined : false;
  const files = fileProblems({
    mode: inputs['build-mode'] === 'merge' ? 'merge' : 'multi-platform',
    context: typeof inputs.context === 'string' && inputs.context.trim() ? inputs.context.trim() : '.',
    file: typeof inputs.file === 'string' && inputs.file.trim() ? inputs.file.trim() : undefined,
  });
  const all = [
    ...problems,
    ...files,
    ...(needsAzure ? signInProblems(signIn, Boolean(context.getIdToken)) : []),
  ];
  if (all.length || !plan) throw new InputError(all);

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
