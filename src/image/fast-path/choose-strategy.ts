// Which path build-image takes: `full` (buildx rebuilds everything) or `model-layer` (the model is
// appended as one layer to an environment image). Pure: the stage reads the Dockerfile and the model
// path and hands the facts in. `auto` falls back to `full` with the reason; a forced `model-layer`
// (or an `oci-layout` target, which only the append can write) whose preconditions fail becomes
// input problems, raised before anything is written.
import { isAbsolute } from 'node:path';
import type { InputProblem } from '../../action/parse-inputs.js';
import { cleanContextPath, findModelCopy } from './dockerfile.js';

export type Strategy = 'auto' | 'full' | 'model-layer';

export interface StrategyFacts {
  requested: Strategy;
  mode: 'multi-platform' | 'per-platform' | 'merge';
  push: boolean;
  ociLayout?: string;
  provenance: boolean;
  sbom: boolean;
  /** model-path as given. */
  modelPath?: string;
  /** The model path relative to the context (`../x` when outside it). */
  modelInContext?: string;
  /** undefined: the model path does not exist. */
  modelKind?: 'file' | 'folder';
  remoteContext: boolean;
  /** undefined: the Dockerfile could not be read. */
  dockerfileText?: string;
  modelImagePath?: string;
  environmentImage?: string;
}

export type StrategyDecision =
  | { strategy: 'full'; reason: string }
  | {
      strategy: 'model-layer';
      reason: string;
      /** Where the model goes in the image: a folder's contents, or a file's path. */
      destination: string;
      /** The model path relative to the context, when the Dockerfile copies it (the environment build needs it). */
      modelInContext?: string;
    };

interface Blocker {
  input: string;
  /** Why the fast path does not apply, as the `full: …` reason says it. */
  why: string;
  fix: string;
}

const FULL_FIX = 'or use strategy `full` (or `auto`, which falls back to it)';

function blockersOf(facts: StrategyFacts): Blocker[] {
  const blockers: Blocker[] = [];
  if (facts.mode !== 'multi-platform')
    blockers.push({
      input: 'build-mode',
      why: `build-mode is ${facts.mode}`,
      fix: 'the model is appended to one multi-platform index: use build-mode multi-platform',
    });
  if (!facts.push && !facts.ociLayout)
    blockers.push({
      input: 'push',
      why: 'push is false',
      fix: 'set push to true, or give oci-layout to write the image to a folder',
    });
  for (const input of ['provenance', 'sbom'] as const)
    if (facts[input])
      blockers.push({
        input,
        why: `${input} attestations are requested`,
        fix: `attestations describe a buildx build and are not made for an appended layer: set ${input} to false`,
      });
  if (!facts.modelPath)
    blockers.push({
      input: 'model-path',
      why: 'no model-path given',
      fix: 'give model-path: the model file or folder the Dockerfile copies',
    });
  else if (!facts.modelKind)
    blockers.push({
      input: 'model-path',
      why: `model-path '${facts.modelPath}' does not exist`,
      fix: 'give the path of the model file or folder, relative to the workspace',
    });
  return blockers;
}

/** Where the model goes, read from the Dockerfile unless the inputs say it: a destination or a blocker. */
function destinationOf(
  facts: StrategyFacts,
): { destination: string; line?: number; modelInContext?: string } | Blocker {
  if (facts.environmentImage && facts.modelImagePath) return { destination: facts.modelImagePath };
  const inContext = facts.modelInContext;
  if (facts.remoteContext)
    return {
      input: 'context',
      why: 'the context is remote',
      fix: 'give a local context folder, or environment-image and model-image-path',
    };
  if (
    !inContext ||
    inContext.startsWith('..') ||
    isAbsolute(inContext) ||
    cleanContextPath(inContext) === '.'
  )
    return {
      input: 'model-path',
      why: 'model-path is outside the context',
      fix: 'put the model inside the context folder, or give environment-image and model-image-path',
    };
  if (facts.dockerfileText === undefined)
    return {
      input: 'file',
      why: 'the Dockerfile cannot be read',
      fix: 'give a readable Dockerfile, or environment-image and model-image-path',
    };
  const copy = findModelCopy(facts.dockerfileText, inContext, facts.modelKind ?? 'folder');
  if (copy.ok) {
    if (facts.modelImagePath && facts.modelImagePath !== copy.destination)
      return {
        input: 'model-image-path',
        why: `model-image-path '${facts.modelImagePath}' is not where the Dockerfile copies the model (${copy.destination}, line ${copy.line})`,
        fix: 'leave model-image-path out, or make it match the Dockerfile',
      };
    return { destination: copy.destination, line: copy.line, modelInContext: inContext };
  }
  if (copy.destinationOnly && facts.modelImagePath)
    return { destination: facts.modelImagePath, modelInContext: inContext };
  return {
    input: copy.destinationOnly ? 'model-image-path' : 'strategy',
    why: copy.reason,
    fix: copy.destinationOnly
      ? 'give model-image-path: the absolute path the Dockerfile copies the model to'
      : 'make the model’s COPY the last RUN/COPY/ADD of the final stage, on its own and without flags',
  };
}

function display(facts: StrategyFacts, modelInContext: string | undefined): string {
  const path = modelInContext ? cleanContextPath(modelInContext) : (facts.modelPath ?? 'the model');
  return facts.modelKind === 'folder' ? `${path}/` : path;
}

/** The path to take and why; problems when a forced model-layer cannot apply. */
export function chooseStrategy(facts: StrategyFacts): {
  decision: StrategyDecision;
  problems: InputProblem[];
} {
  if (facts.requested === 'full')
    return {
      decision: { strategy: 'full', reason: 'full: strategy is full' },
      problems: facts.ociLayout
        ? [
            {
              input: 'oci-layout',
              message:
                'is written by the model-layer path only, and strategy is full (buildx pushes to the registry): leave oci-layout out, or use strategy auto or model-layer',
            },
          ]
        : [],
    };
  const blockers = blockersOf(facts);
  const where = blockers.length ? undefined : destinationOf(facts);
  if (where && 'input' in where) blockers.push(where);
  if (blockers.length || !where || 'input' in where) {
    const forced = facts.requested !== 'auto' || facts.ociLayout;
    const decision = { strategy: 'full', reason: `full: ${blockers[0]!.why}` } as const;
    if (!forced) return { decision, problems: [] };
    const needs = facts.ociLayout
      ? 'oci-layout is written by the model-layer path only'
      : 'strategy model-layer cannot apply';
    return {
      decision,
      problems: blockers.map((b) => ({
        input: b.input,
        message: `${b.why}: ${needs}. How to fix: ${b.fix}${facts.ociLayout ? '' : `, ${FULL_FIX}`}`,
      })),
    };
  }
  const model = display(facts, where.modelInContext);
  const reason = facts.environmentImage
    ? `model-layer: ${model} appended to the environment image ${facts.environmentImage} at ${where.destination}`
    : where.line !== undefined
      ? `model-layer: Dockerfile copies ${model} last to ${where.destination}`
      : `model-layer: ${model} appended at ${where.destination} (model-image-path)`;
  return {
    decision: {
      strategy: 'model-layer',
      reason,
      destination: where.destination,
      modelInContext: where.modelInContext,
    },
    problems: [],
  };
}
