// What a registration needs, checked all at once before anything touches Azure: every problem names
// the input and how to fix it. The model path is walked here too (existence, empty folders, ignore
// file syntax), and the walk is kept for hashing and upload.
import type { InputProblem } from '../action/parse-inputs.js';
import { IgnoreFileError } from './ignore-file.js';
import { ModelPathError, scanModel, type ModelScan } from './model-scan.js';
import type { WorkspaceRef } from './model-paths.js';

export const MODEL_TYPES = ['custom_model', 'mlflow_model', 'triton_model'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export interface RegisterModelOptions {
  /** Model file or folder, absolute or relative to `baseDir`. */
  modelPath: string;
  modelName: string;
  /** Explicit version; default: the workspace's next version (or the one holding this content). */
  modelVersion?: string;
  modelType?: ModelType;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  /** Default https://management.azure.com. */
  armEndpoint?: string;
  /** Facts of the run, added as tags: the commit always, the release when there is one. */
  commit?: string;
  release?: string;
  repository?: string;
  runUrl?: string;
  /** Resolves a relative modelPath (default: the working directory). */
  baseDir?: string;
}

export interface CheckedRegistration {
  options: RegisterModelOptions & { modelType: ModelType; armEndpoint: string };
  workspace: WorkspaceRef;
  scan: ModelScan;
  /** User tags plus the run's tags. */
  tags: Record<string, string>;
  properties: Record<string, string>;
}

/** The name rule of model containers (the ARM `name` parameter's pattern). */
export const MODEL_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/;
/** Versions: a letter or digit, then letters, digits, `.`, `_`, `-` (no `/`, `:` or `@`: they are URI syntax). */
export const MODEL_VERSION_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/;
const GUID = /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
/** ARM: 1–90 letters, digits, `_`, `-`, `.`, `(`, `)`; not ending in `.`. */
const RESOURCE_GROUP = /^[-\w.()\p{L}\p{N}]{0,89}[-\w()\p{L}\p{N}]$/u;
/** Azure ML: 3–33 characters, a letter or digit first, then letters, digits, `-`, `_`. */
const WORKSPACE = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';

/** Tags the action sets from the run; a user tag with the same key and another value is refused. */
export function runTags(options: RegisterModelOptions): Record<string, string> {
  const tags: Record<string, string> = {};
  if (options.commit) tags.commit = options.commit;
  if (options.release) tags.release = options.release;
  if (options.repository) tags.repository = options.repository;
  if (options.runUrl) tags.run_url = options.runUrl;
  return tags;
}

function keyValueProblems(input: string, values: Record<string, string> | undefined): InputProblem[] {
  const problems: InputProblem[] = [];
  for (const [key, value] of Object.entries(values ?? {})) {
    if (!key.trim()) problems.push({ input, message: `'=${value}' has no key: write key=value` });
    else if (CONTROL_CHARACTERS.test(key) || CONTROL_CHARACTERS.test(value))
      problems.push({ input, message: `'${key}' holds a control character: use printable text` });
    else if (key.length > 256)
      problems.push({ input, message: `key '${key.slice(0, 20)}…' is longer than 256 characters` });
  }
  return problems;
}

function identityProblems(options: RegisterModelOptions): InputProblem[] {
  const problems: InputProblem[] = [];
  const name = options.modelName?.trim() ?? '';
  if (!name) {
    problems.push({
      input: 'model-name',
      message: 'is required (default: the app input, else the repository name): set model-name',
    });
  } else if (!MODEL_NAME_PATTERN.test(name)) {
    problems.push({
      input: 'model-name',
      message:
        `'${name}' is not a valid Azure ML model name: use 1–255 letters, digits, '-' and '_', starting with a ` +
        `letter or digit (e.g. '${name.replace(/[^a-zA-Z0-9_-]+/g, '-').replace(/^[-_]+/, '') || 'my-model'}')`,
    });
  }
  const version = options.modelVersion?.trim();
  if (version !== undefined && version !== '' && !MODEL_VERSION_PATTERN.test(version)) {
    problems.push({
      input: 'model-version',
      message:
        `'${version}' is not a valid model version: use letters, digits, '.', '_' and '-', starting with a letter ` +
        "or digit (e.g. '3' or '1.4.0'), or leave it empty to take the workspace's next version",
    });
  }
  return problems;
}

function workspaceProblems(options: RegisterModelOptions): InputProblem[] {
  const problems: InputProblem[] = [];
  if (!options.subscriptionId?.trim())
    problems.push({
      input: 'subscription-id',
      message: 'is required: the Azure subscription id of the workspace',
    });
  else if (!GUID.test(options.subscriptionId.trim()))
    problems.push({
      input: 'subscription-id',
      message: `'${options.subscriptionId}' is not a subscription id: use its GUID (az account show --query id)`,
    });
  if (!options.resourceGroup?.trim())
    problems.push({
      input: 'resource-group',
      message: 'is required: the resource group of the Azure ML workspace',
    });
  else if (!RESOURCE_GROUP.test(options.resourceGroup.trim()))
    problems.push({
      input: 'resource-group',
      message: `'${options.resourceGroup}' is not a resource group name: 1–90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'`,
    });
  if (!options.workspace?.trim())
    problems.push({ input: 'workspace', message: 'is required: the Azure ML workspace name' });
  else if (!WORKSPACE.test(options.workspace.trim()))
    problems.push({
      input: 'workspace',
      message: `'${options.workspace}' is not an Azure ML workspace name: 3–33 letters, digits, '-' and '_', starting with a letter or digit`,
    });
  const endpoint = options.armEndpoint ?? DEFAULT_ARM_ENDPOINT;
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:')
    problems.push({
      input: 'arm-endpoint',
      message: `'${endpoint}' is not an https:// URL: use e.g. ${DEFAULT_ARM_ENDPOINT}`,
    });
  return problems;
}

function typeProblems(options: RegisterModelOptions, scan: ModelScan): InputProblem[] {
  const type = options.modelType ?? 'custom_model';
  if (!MODEL_TYPES.includes(type)) {
    return [{ input: 'model-type', message: `'${String(type)}' is not one of: ${MODEL_TYPES.join(', ')}` }];
  }
  // The SDK refuses an mlflow_model whose path's last segment has a '.': MLflow models are folders.
  if (type === 'mlflow_model' && (scan.kind === 'file' || scan.baseName.includes('.'))) {
    return [
      {
        input: 'model-path',
        message:
          scan.kind === 'file'
            ? `'${options.modelPath}' is a file, but an mlflow_model is a folder (with an MLmodel file): point model-path at the folder`
            : `the mlflow_model folder name '${scan.baseName}' contains '.', which Azure ML refuses: rename the folder`,
      },
    ];
  }
  return [];
}

function scanProblems(options: RegisterModelOptions): { scan?: ModelScan; problems: InputProblem[] } {
  if (!options.modelPath?.trim()) {
    return {
      problems: [{ input: 'model-path', message: 'is required: the model file or folder to register' }],
    };
  }
  let scan: ModelScan;
  try {
    scan = scanModel(options.modelPath.trim(), options.baseDir);
  } catch (error) {
    if (error instanceof ModelPathError)
      return {
        problems: [
          { input: 'model-path', message: `${error.message}: point model-path at the model file or folder` },
        ],
      };
    if (error instanceof IgnoreFileError)
      return {
        problems: [
          { input: 'model-path', message: `${error.message} (fix the ignore file in the model folder)` },
        ],
      };
    throw error;
  }
  if (scan.files.length === 0) {
    const why = scan.ignored.length
      ? `every file in it is excluded by ${scan.ignoreFile}`
      : 'it holds no files';
    return {
      problems: [
        {
          input: 'model-path',
          message: `'${options.modelPath}' is an empty folder (${why}): point model-path at the model`,
        },
      ],
    };
  }
  return { scan, problems: [] };
}

function tagProblems(options: RegisterModelOptions): InputProblem[] {
  const problems = keyValueProblems('model-tags', options.tags);
  for (const [key, value] of Object.entries(runTags(options))) {
    const given = options.tags?.[key];
    if (given !== undefined && given !== value)
      problems.push({
        input: 'model-tags',
        message: `tag '${key}' is set from the run ('${value}'), not '${given}': remove it or use another key`,
      });
  }
  return [...problems, ...keyValueProblems('model-properties', options.properties)];
}

/** Every problem of `options`, or the checked registration when there is none. */
export function checkRegistration(options: RegisterModelOptions): {
  registration?: CheckedRegistration;
  problems: InputProblem[];
} {
  const { scan, problems: pathProblems } = scanProblems(options);
  const problems = [
    ...pathProblems,
    ...identityProblems(options),
    ...(scan ? typeProblems(options, scan) : []),
    ...tagProblems(options),
    ...workspaceProblems(options),
  ];
  if (problems.length || !scan) return { problems };
  const trimmed = {
    ...options,
    modelName: options.modelName.trim(),
    modelVersion: options.modelVersion?.trim() || undefined,
    modelType: options.modelType ?? 'custom_model',
    armEndpoint: (options.armEndpoint ?? DEFAULT_ARM_ENDPOINT).replace(/\/+$/, ''),
    subscriptionId: options.subscriptionId.trim(),
    resourceGroup: options.resourceGroup.trim(),
    workspace: options.workspace.trim(),
  };
  return {
    problems,
    registration: {
      options: trimmed,
      workspace: {
        subscriptionId: trimmed.subscriptionId,
        resourceGroup: trimmed.resourceGroup,
        workspace: trimmed.workspace,
      },
      scan,
      tags: { ...options.tags, ...runTags(options) },
      properties: { ...options.properties },
    },
  };
}
