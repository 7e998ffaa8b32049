// Everything the pipeline will do, checked before its first write anywhere: the trigger, the
// registration options, the image plan and its files, and the rollout inputs (with a placeholder
// digest while the image is still to be built). Every problem of every stage comes back together as
// one InputError, so a run never registers a model and then stops at a typo in the rollout inputs.
// Each stage's problems come from that stage's own check (imageInputProblems,
// registrationInputProblems, rolloutInputProblems), the one it runs before it writes anything.
import { InputError, type InputProblem, type ParsedInputs } from '../action/parse-inputs.js';
import { imageInputProblems } from '../stages/build-image.js';
import type { StageContext } from '../stages/index.js';
import { textInput as text } from '../action/parse-inputs.js';
import { registrationInputProblems } from '../stages/register-model.js';
import { rolloutInputProblems } from '../stages/rollout.js';
import { resolveTrigger, type Trigger } from './trigger.js';

/** Stands for the digest of an image not built yet, so the rollout's manifest can be checked. */
const PLACEHOLDER_IMAGE_REF = `placeholder.invalid/image@sha256:${'0'.repeat(64)}`;

export interface PipelinePlan {
  trigger: Trigger;
  /** The inputs with the trigger's release and command in. */
  inputs: ParsedInputs;
  register: boolean;
  build: boolean;
  /** "registration skipped: no workspace input", for the log and the summary. */
  skipped: string[];
}

/** The same problem found by two stages (a sign-in input) is named once. */
function distinct(problems: InputProblem[]): InputProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.input}\u0000${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** What the pipeline will run, or an InputError with every problem of every stage. */
export function planPipeline(given: ParsedInputs, context: StageContext): PipelinePlan {
  const trigger = resolveTrigger({
    eventName: context.run.eventName,
    payload: context.run.event,
    ref: context.run.ref,
    release: text(given, 'release'),
    command: text(given, 'command'),
  });
  const inputs: ParsedInputs = {
    ...given,
    ...(trigger.release ? { release: trigger.release } : {}),
    command: trigger.command,
  };
  const problems = [...trigger.problems];
  const skipped: string[] = [];
  let register = false;
  let build = false;
  if (trigger.rolloutOnly) {
    skipped.push(`registration and build skipped: ${trigger.command} is a rollout command`);
  } else {
    register = text(inputs, 'workspace') !== undefined;
    if (register) problems.push(...registrationInputProblems(inputs, context).problems);
    else if (text(inputs, 'model-path'))
      problems.push({
        input: 'workspace',
        message:
          'is required to register model-path: set workspace, resource-group and subscription-id of the Azure ML workspace (or leave model-path out)',
      });
    else skipped.push('registration skipped: no workspace input');

    const imageRef = text(inputs, 'image-ref');
    build = !imageRef && (text(inputs, 'registry') ?? text(inputs, 'image')) !== undefined;
    if (build) problems.push(...imageInputProblems(inputs, context).problems);
    else
      skipped.push(
        imageRef ? 'build skipped: image-ref given' : 'build skipped: no registry input (and no image-ref)',
      );
  }
  const rolloutCheck = build ? { ...inputs, 'image-ref': PLACEHOLDER_IMAGE_REF } : inputs;
  problems.push(...rolloutInputProblems(rolloutCheck, context));

  // A bad release tag also leaves the stages without a release: the trigger's problem says why.
  const flagged = new Set(trigger.problems.map((p) => p.input));
  const all = distinct([
    ...trigger.problems,
    ...problems.slice(trigger.problems.length).filter((p) => !flagged.has(p.input)),
  ]);
  if (all.length > 0) throw new InputError(all);
  return { trigger, inputs, register, build, skipped };
}
