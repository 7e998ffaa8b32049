// The rollout stage's inputs (names from src/action/input-table.ts) as the engine's options, the hub
// connection and the secrets to mask. Every input is checked before the hub is contacted, and every
// problem is reported at once (InputError), so a run never stops at the first of several mistakes.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import {
  InputError,
  type InputProblem,
  type ParsedInputs,
  textInput as text,
} from '../action/parse-inputs.js';
import { ManifestError, type RestartPolicy } from '../edge/index.js';
import type { RunInfo } from '../stages/index.js';
import type { HubConnectionInputs } from './connect.js';
import type { RolloutCommand, RolloutOptions } from './engine-types.js';
import { formatProblem, RolloutInputError } from './problems.js';
import { buildReleaseManifest, type ManifestInputs } from './release-manifest.js';
import { appSlug, deploymentId, parseReleaseVersion } from './release-id.js';
import { parseRings, ringsInputKind, type RingsConfig } from './rings.js';

export interface RolloutInputContext {
  run: RunInfo;
  /** Variables for `$VAR` in a template (the step's environment). */
  env?: Readonly<Record<string, string | undefined>>;
  mask(secret: string): void;
  /** Reads a file the inputs name (rings, template, env-file), relative to the working folder. */
  readFile(path: string): string;
}

export interface RolloutStageInputs {
  command: RolloutCommand;
  options: RolloutOptions;
  connection: HubConnectionInputs;
  /** Every secret value seen in the inputs and the manifest. */
  secrets: string[];
  warnings: string[];
}

const NEEDS_RELEASE: readonly RolloutCommand[] = ['plan', 'start', 'auto'];
const NEEDS_MANIFEST: readonly RolloutCommand[] = ['start', 'auto'];
const MODULE_NAME = /^[a-zA-Z0-9_-]+$/;

function flag(inputs: ParsedInputs, name: string): boolean {
  return inputs[name] === true;
}

function number(inputs: ParsedInputs, name: string): number | undefined {
  const value = inputs[name];
  return typeof value === 'number' ? value : undefined;
}

class ProblemList {
  readonly problems: InputProblem[] = [];

  add(input: string, message: string): void {
    this.problems.push({ input, message });
  }

  /** Runs `fn`; its RolloutInputError or ManifestError becomes problems of `input`. */
  collect<T>(input: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      if (error instanceof RolloutInputError) {
        for (const problem of error.problems)
          this.add(error.input === input ? input : error.input, formatProblem(problem));
      } else if (error instanceof ManifestError) {
        for (const problem of error.problems)
          this.add(input, `${problem.path}: ${problem.message}. Fix: ${problem.fix}`);
      } else {
        this.add(input, (error as Error).message);
      }
      return undefined;
    }
  }
}

function readInputFile(context: RolloutInputContext, path: string): string {
  try {
    return context.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `cannot read '${path}' (${resolve(path)})${code ? `: ${code}` : ''}; give a path relative to the working folder (the repository root in a workflow)`,
      { cause: error },
    );
  }
}

function readRings(inputs: ParsedInputs, context: RolloutInputContext): RingsConfig {
  const given = text(inputs, 'rings');
  if (given === undefined || ringsInputKind(given) === 'yaml') return parseRings(given);
  return parseRings(readInputFile(context, given));
}

export function rolloutStageInputs(inputs: ParsedInputs, context: RolloutInputContext): RolloutStageInputs {
  const list = new ProblemList();
  const warnings: string[] = [];
  const secrets = ['iothub-connection-string', 'client-secret', 'device-registry-password', 'github-token']
    .map((name) => text(inputs, name))
    .filter((value): value is string => value !== undefined);
  secrets.forEach((secret) => context.mask(secret));

  const command = (text(inputs, 'command') ?? 'auto') as RolloutCommand;
  const repositoryName = context.run.repository?.split('/').pop();
  const appName = text(inputs, 'app') ?? repositoryName;
  let app: string | undefined;
  if (appName === undefined) {
    list.add('app', 'is required outside GitHub Actions (there is no repository to name the app after)');
  } else {
    app = list.collect('app', () => {
      appSlug(appName); // throws when the name has no letter or digit
      return appName;
    });
  }
  const release =
    text(inputs, 'release') ?? (context.run.ref ? parseReleaseVersion(context.run.ref) : undefined);
  if (release === undefined && NEEDS_RELEASE.includes(command)) {
    list.add(
      'release',
      `is required for ${command}: set it (e.g. 1.4.0), or run on a release tag (refs/tags/v1.4.0)${context.run.ref ? `; the ref ${context.run.ref} is not a release tag` : ''}`,
    );
  } else if (release !== undefined && app !== undefined) {
    list.collect('release', () => deploymentId(app, release));
  }
  const rings = list.collect('rings', () => readRings(inputs, context));
  const moduleName = text(inputs, 'module-name') ?? 'model';
  if (!MODULE_NAME.test(moduleName))
    list.add('module-name', `'${moduleName}' is not a module name: use letters, digits, '-' and '_'`);
  const hubUnits = number(inputs, 'hub-units') ?? 1;
  if (hubUnits < 1)
    list.add('hub-units', `${hubUnits} hub units: give the hub's number of units, at least 1`);
  const connection = connectionInputs(inputs);
  if (!connection.connectionString && !connection.hostName) {
    list.add(
      'iothub-host-name',
      'no IoT Hub to roll out to: set iothub-host-name (with Entra ID sign-in) or iothub-connection-string',
    );
  }

  const modelName = text(inputs, 'model-name') ?? (app === undefined ? undefined : appSlug(app));
  const modelVersion = text(inputs, 'model-version') ?? release;
  const template = text(inputs, 'template');
  const wantsManifest =
    NEEDS_MANIFEST.includes(command) || (command === 'plan' && (text(inputs, 'image-ref') || template));
  let content: RolloutOptions['content'];
  if (wantsManifest && modelName !== undefined && modelVersion !== undefined) {
    const built = list.collect(template ? 'template' : 'image-ref', () =>
      buildReleaseManifest(
        manifestInputs(inputs, context, {
          moduleName,
          modelName,
          modelVersion,
          release: release ?? modelVersion,
        }),
        (secret) => {
          secrets.push(secret);
          context.mask(secret);
        },
      ),
    );
    if (built) {
      content = built.manifest as RolloutOptions['content'];
      if (built.leftAsWritten.length > 0)
        warnings.push(
          `Template variables left as written (nothing defines them): ${built.leftAsWritten.join(', ')}`,
        );
    }
  }

  if (list.problems.length > 0) throw new InputError(list.problems);
  const platforms = inputs.platforms as string[] | undefined;
  const options: RolloutOptions = {
    app: app!,
    ...optional('release', release),
    rings: rings!,
    ...(content ? { content } : {}),
    moduleName,
    ...(platforms && platforms.length > 0 ? { imagePlatforms: platforms } : {}),
    firstRelease: flag(inputs, 'first-release'),
    force: flag(inputs, 'force'),
    keepReleases: number(inputs, 'keep-releases') ?? 3,
    hubUnits,
    lineage: {
      ...optional('commit', context.run.commit),
      ...optional('modelName', modelName),
      ...optional('modelVersion', modelVersion),
      ...optional('runUrl', context.run.runUrl),
    },
    runId: context.run.runId ?? `local-${hostname()}`,
  };
  return { command, options, connection, secrets: [...new Set(secrets)], warnings };
}

function connectionInputs(inputs: ParsedInputs): HubConnectionInputs {
  return {
    ...optional('connectionString', text(inputs, 'iothub-connection-string')),
    ...optional('hostName', text(inputs, 'iothub-host-name')),
    ...optional('clientId', text(inputs, 'client-id')),
    ...optional('tenantId', text(inputs, 'tenant-id')),
    ...optional('clientSecret', text(inputs, 'client-secret')),
    ...optional('audience', text(inputs, 'audience')),
    ...optional('authorityHost', text(inputs, 'authority-host')),
  };
}

/** The manifest inputs; the model twin defaults to the app and release (`azureml:<name>:<version>`). */
function manifestInputs(
  inputs: ParsedInputs,
  context: RolloutInputContext,
  release: { moduleName: string; modelName: string; modelVersion: string; release: string },
): ManifestInputs {
  const template = text(inputs, 'template');
  const envFile = text(inputs, 'env-file');
  const startupOrder = number(inputs, 'startup-order');
  const { modelName, modelVersion } = release;
  return {
    moduleName: release.moduleName,
    ...optional('imageRef', text(inputs, 'image-ref')),
    ...(template ? { template: { text: readInputFile(context, template), file: template } } : {}),
    ...(envFile ? { envFile: readInputFile(context, envFile) } : {}),
    ...(context.env ? { env: context.env } : {}),
    ...(inputs['module-env'] ? { moduleEnv: inputs['module-env'] as Record<string, string> } : {}),
    ...optional('createOptions', text(inputs, 'create-options')),
    ...(text(inputs, 'restart-policy')
      ? { restartPolicy: text(inputs, 'restart-policy') as RestartPolicy }
      : {}),
    ...(startupOrder === undefined ? {} : { startupOrder }),
    ...optional('edgeAgentImage', text(inputs, 'edge-agent-image')),
    ...optional('edgeHubImage', text(inputs, 'edge-hub-image')),
    layered: flag(inputs, 'layered'),
    registry: {
      ...optional('address', text(inputs, 'device-registry-address')),
      ...optional('username', text(inputs, 'device-registry-username')),
      ...optional('password', text(inputs, 'device-registry-password')),
    },
    model: {
      name: modelName,
      version: modelVersion,
      uri: text(inputs, 'model-uri') ?? `azureml:${modelName}:${modelVersion}`,
    },
    release: release.release,
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
