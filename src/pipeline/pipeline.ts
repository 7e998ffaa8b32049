// The root action (`ml-to-iot-edge run`): trigger → every stage's inputs checked → register (when a
// workspace is given) → build (when no image-ref is given) → rollout. The registered model version
// and URI and the pushed image digest flow into the rollout's inputs, so the manifest pins the image
// by digest and the module twin and the deployment's labels lead back to the model and the commit.
// A dispatch's status/promote/rollback/plan runs the rollout command alone, under the same summary.
import type { ParsedInputs } from '../action/parse-inputs.js';
import {
  imageOutputs,
  imageSummary,
  type BuildImageDeps,
  type BuildImageResult,
} from '../image/build-image.js';
import type { ImageSystem } from '../image/system.js';
import { buildImageFromInputs } from '../stages/build-image.js';
import { StageFailedError, type StageContext, type StageResult } from '../stages/index.js';
import { runRegisterModel } from '../stages/register-model.js';
import { runRolloutStage, type RolloutStageDeps } from '../stages/rollout.js';
import { textInput as text } from '../action/parse-inputs.js';
import { planPipeline } from './preflight.js';
import {
  pipelineOutputs,
  renderPipelineSummary,
  renderPipelineText,
  type PipelineStory,
} from './pipeline-summary.js';

/** Collaborators tests replace: the rollout's clock and hub, the image stage's system and clients. */
export interface PipelineDeps {
  rollout?: RolloutStageDeps;
  imageSystem?: ImageSystem;
  image?: Partial<BuildImageDeps>;
}

/** The rollout's inputs with what the earlier stages produced. */
export function rolloutInputs(
  inputs: ParsedInputs,
  model: StageResult | undefined,
  image: BuildImageResult | undefined,
): ParsedInputs {
  const next: ParsedInputs = { ...inputs };
  if (model) {
    next['model-name'] = model.outputs['model-name'];
    next['model-version'] = model.outputs['model-version'];
    next['model-uri'] = model.outputs['model-uri'];
  }
  if (image) {
    next['image-ref'] = image.imageRef;
    if (image.platforms.length > 0) next.platforms = image.platforms;
    const pull = image.devicePullCredential;
    if (pull) {
      next['device-registry-address'] = pull.address;
      next['device-registry-username'] = pull.username;
      next['device-registry-password'] = pull.password;
    }
  }
  return next;
}

/** The image stage's inputs: the registered model goes into the image's labels. */
function imageInputs(inputs: ParsedInputs, model: StageResult | undefined): ParsedInputs {
  return model
    ? {
        ...inputs,
        'model-name': model.outputs['model-name'],
        'model-version': model.outputs['model-version'],
      }
    : inputs;
}

function result(story: PipelineStory): StageResult {
  return {
    outputs: pipelineOutputs(story),
    summary: renderPipelineSummary(story),
    text: renderPipelineText(story),
  };
}

export async function runPipeline(
  given: ParsedInputs,
  context: StageContext,
  deps: PipelineDeps = {},
): Promise<StageResult> {
  const { logger } = context;
  const plan = planPipeline(given, context);
  const { inputs, trigger } = plan;
  logger.info(
    `Pipeline: ${trigger.description}${trigger.release ? `, release ${trigger.release}` : ''}, command ${trigger.command}`,
  );
  plan.skipped.forEach((line) => logger.info(line));
  const story: PipelineStory = {
    trigger,
    run: context.run,
    app: text(inputs, 'app') ?? context.run.repository?.split('/').pop(),
    skipped: plan.skipped,
    ...(plan.build || trigger.rolloutOnly ? {} : { givenImageRef: text(inputs, 'image-ref') }),
  };
  let built: BuildImageResult | undefined;
  try {
    if (plan.register) {
      logger.info('== Register the model');
      story.model = await runRegisterModel(inputs, context);
    }
    if (plan.build) {
      logger.info('== Build the image');
      built = await buildImageFromInputs(
        imageInputs(inputs, story.model),
        context,
        deps.imageSystem,
        deps.image,
      );
      story.image = { outputs: imageOutputs(built), summary: imageSummary(built) };
    }
    logger.info(`== Roll out (${trigger.command})`);
    story.rollout = await runRolloutStage(rolloutInputs(inputs, story.model, built), context, deps.rollout);
    return result(story);
  } catch (error) {
    // The report of what was done comes with the failure: outputs and summary up to that point.
    if (error instanceof StageFailedError) story.rollout = error.result;
    if (!(error instanceof StageFailedError) && !story.model && !story.image) throw error;
    story.failure = (error as Error).message;
    throw new StageFailedError(story.failure, result(story));
  }
}
