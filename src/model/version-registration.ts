// Which model version holds the content, and registering it (reference §1.5): the version the upload
// mark names when it still points at this content; an explicit version (kept when it already holds
// this content, refused when it holds other content, since versions are immutable); or the next
// version, taking the next one again when a concurrent registration wins the race for a number.
import { ArmError } from '../azure/arm-error.js';
import type { Logger } from '../logger.js';
import type { AmlWorkspace, ModelVersionBody, ModelVersionResource } from './aml-workspace.js';
import { RegistrationError, type RegistrationStep } from './registration-errors.js';
import type { UploadMark } from './upload-marker.js';

/** How often a version number lost to a concurrent registration is retried with the next one. */
export const MAX_VERSION_ATTEMPTS = 5;

export interface VersionContext {
  workspace: AmlWorkspace;
  modelName: string;
  logger: Logger;
  /** Explains an ARM failure of `step` (naming the input or role to fix). */
  explain(error: unknown, step: RegistrationStep): Error;
}

export interface VersionOutcome {
  resource: ModelVersionResource;
  /** False when the version already held this content. */
  created: boolean;
}

/** A PUT that lost a race: the version exists with other content (409, or 400 "Asset paths cannot be updated"). */
export function isVersionConflict(error: unknown): boolean {
  return (
    error instanceof ArmError &&
    (error.status === 409 ||
      (error.status === 400 && /asset paths? cannot be updated/i.test(error.serviceMessage)))
  );
}

function holdsContent(
  resource: ModelVersionResource | undefined,
  uri: string,
): resource is ModelVersionResource {
  return resource?.properties.modelUri === uri;
}

async function attempt<T>(
  context: VersionContext,
  step: RegistrationStep,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw context.explain(error, step);
  }
}

function readVersion(context: VersionContext, version: string): Promise<ModelVersionResource | undefined> {
  return attempt(context, 'read the model', () => context.workspace.getVersion(context.modelName, version));
}

export function nextVersion(context: VersionContext): Promise<string> {
  return attempt(context, 'read the model', () => context.workspace.nextVersion(context.modelName));
}

/** The version the upload mark says holds this content, if it still does (and is not archived). */
export async function versionHoldingContent(
  context: VersionContext,
  mark: UploadMark,
  uri: string,
): Promise<ModelVersionResource | undefined> {
  if (mark.state !== 'confirmed' || mark.name !== context.modelName || !mark.version) return undefined;
  const resource = await readVersion(context, mark.version);
  return holdsContent(resource, uri) && !resource.properties.isArchived ? resource : undefined;
}

/** Registers an explicit version: kept when it holds this content, refused when it holds other content. */
export async function registerExplicitVersion(
  context: VersionContext,
  version: string,
  body: ModelVersionBody,
): Promise<VersionOutcome> {
  const uri = body.properties.modelUri;
  const taken = (resource: ModelVersionResource) =>
    new RegistrationError(
      `Version '${version}' of model '${context.modelName}' already exists with other content ` +
        `(${resource.properties.modelUri}): Azure ML versions are immutable. Give another model-version, or leave ` +
        'it empty to take the next free one.',
      'model-version',
    );
  const existing = await readVersion(context, version);
  if (holdsContent(existing, uri)) return { resource: existing, created: false };
  if (existing) throw taken(existing);
  try {
    return await context.workspace.putVersion(context.modelName, version, body);
  } catch (error) {
    if (!isVersionConflict(error)) throw context.explain(error, 'register the model version');
    // Another registration created it a moment ago: with this content that is as good as ours.
    const winner = await readVersion(context, version);
    if (holdsContent(winner, uri)) return { resource: winner, created: false };
    throw winner ? taken(winner) : context.explain(error, 'register the model version');
  }
}

/** Registers under `candidate`, or the next free version when a concurrent registration takes it first. */
export async function registerNextVersion(
  context: VersionContext,
  candidate: string,
  body: ModelVersionBody,
): Promise<VersionOutcome> {
  for (let tries = 1; ; tries++) {
    try {
      return await context.workspace.putVersion(context.modelName, candidate, body);
    } catch (error) {
      if (!isVersionConflict(error)) throw context.explain(error, 'register the model version');
      if (tries >= MAX_VERSION_ATTEMPTS)
        throw new RegistrationError(
          `Model '${context.modelName}': ${MAX_VERSION_ATTEMPTS} version numbers in a row were taken by concurrent ` +
            'registrations; re-run, or give model-version explicitly.',
        );
      context.logger.info(
        `Version ${candidate} of '${context.modelName}' was just taken by another registration; taking the next one.`,
      );
      candidate = await nextVersion(context);
    }
  }
}
