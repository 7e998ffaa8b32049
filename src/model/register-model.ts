// Registers a local model file or folder in an Azure ML workspace the way `az ml model create` does
// (reference §1.2–1.5), idempotently:
//   1. check every input and walk the model (nothing touches Azure before that passes);
//   2. find the workspace's default datastore (proves workspace and resource group exist);
//   3. hash the model as the SDK does → `LocalUpload/<hash>/<name>`;
//   4. get write access to the datastore (SAS from listSecrets, or the Entra identity);
//   5. if the indicator blob is marked complete, upload nothing; else upload and mark it;
//   6. register: the version that already holds this content, else the explicit version, else the
//      next one (see version-registration.ts).
import type { PipelineRetryOptions } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import type { StoragePipelineOptions } from '@azure/storage-blob';
import { InputError } from '../action/parse-inputs.js';
import { createArmClient, type ArmClient } from '../azure/arm-client.js';
import type { Logger } from '../logger.js';
import { AmlWorkspace, type BlobDatastore, type ModelVersionBody } from './aml-workspace.js';
import { uploadBlobs, type UploadTuning } from './blob-upload.js';
import { hashModel, type ContentHash } from './content-hash.js';
import { openDatastore, type AccessKind, type DatastoreAccess } from './datastore-access.js';
import {
  ARTIFACT_ORIGIN,
  datastoreUri,
  modelVersionId,
  uploadLayout,
  type UploadLayout,
} from './model-paths.js';
import type { ModelScan } from './model-scan.js';
import {
  explainRegistrationFailure,
  explainStorageFailure,
  type RegistrationStep,
} from './registration-errors.js';
import {
  checkRegistration,
  type CheckedRegistration,
  type RegisterModelOptions,
} from './registration-options.js';
import { formatBytes } from './upload-progress.js';
import { readUploadMark, writeUploadMark, type UploadMark } from './upload-marker.js';
import {
  nextVersion,
  registerExplicitVersion,
  registerNextVersion,
  versionHoldingContent,
  type VersionContext,
  type VersionOutcome,
} from './version-registration.js';

export type { RegisterModelOptions } from './registration-options.js';

export interface RegisterModelDeps {
  credential: TokenCredential;
  logger: Logger;
  /** Hides a derived secret (the datastore SAS) from every later log line. */
  mask(secret: string): void;
  /** Who signs in, for permission advice (e.g. "The identity with client-id …"). */
  identity?: string;
  /** ARM retries (default: 3, from 1 s, honouring Retry-After). */
  armRetry?: PipelineRetryOptions;
  storageOptions?: StoragePipelineOptions;
  upload?: UploadTuning;
  now?: () => number;
  /** A ready ARM client (tests); default one made from the endpoint and credential. */
  arm?: ArmClient;
}

export interface RegisteredModel {
  name: string;
  version: string;
  /** ARM id of the model version. */
  id: string;
  /** The version's `modelUri`: `azureml://subscriptions/…/datastores/<ds>/paths/LocalUpload/<hash>/<name>`. */
  uri: string;
  hash: string;
  /** True when this run created the version; false when it already existed with this content. */
  created: boolean;
  uploadedBytes: number;
  /** Bytes of the model (uploaded or already in storage). */
  modelBytes: number;
  fileCount: number;
  datastore: string;
  access: AccessKind;
  workspace: { subscriptionId: string; resourceGroup: string; workspace: string };
}

/** The run of one registration: its inputs, collaborators and what an error message may not show. */
interface Run {
  checked: CheckedRegistration;
  deps: RegisterModelDeps;
  workspace: AmlWorkspace;
  secrets: string[];
}

function explainer(run: Run): (error: unknown, step: RegistrationStep) => Error {
  return (error, step) =>
    explainRegistrationFailure(error, {
      ref: run.checked.workspace,
      step,
      armEndpoint: run.checked.options.armEndpoint,
      identity: run.deps.identity ?? 'The Azure identity',
      secrets: run.secrets,
    });
}

async function findDatastore(run: Run): Promise<BlobDatastore> {
  const { logger } = run.deps;
  return logger.group(`Azure ML workspace ${run.checked.options.workspace}`, async () => {
    let datastore: BlobDatastore;
    try {
      datastore = await run.workspace.defaultDatastore();
    } catch (error) {
      throw explainer(run)(error, 'find the workspace');
    }
    logger.info(
      `Default datastore: ${datastore.name} (container ${datastore.containerName}, credentials ${datastore.credentialsType})`,
    );
    return datastore;
  });
}

async function hashWithLog(scan: ModelScan, logger: Logger): Promise<ContentHash> {
  return logger.group('Content hash', async () => {
    const result = await hashModel(scan);
    const ignored = scan.ignoreFile ? `, ${scan.ignored.length} entries left out by ${scan.ignoreFile}` : '';
    logger.info(
      `${scan.kind} '${scan.baseName}': ${scan.files.length} file(s), ${formatBytes(scan.totalBytes)}${ignored}; ` +
        `hash ${result.hash}`,
    );
    return result;
  });
}

function versionBody(checked: CheckedRegistration, uri: string): ModelVersionBody {
  return {
    properties: {
      modelUri: uri,
      modelType: checked.options.modelType,
      description: checked.options.description || undefined,
      tags: checked.tags,
      properties: checked.properties,
      isAnonymous: false,
      isArchived: false,
    },
  };
}

interface Upload {
  access: DatastoreAccess;
  datastore: BlobDatastore;
  layout: UploadLayout;
  fileMd5: ReadonlyMap<string, Buffer>;
}

/** Uploads every blob unless the mark says the content is there; returns the bytes sent. */
async function uploadUnlessMarked(
  run: Run,
  upload: Upload,
  mark: UploadMark,
  planned: string,
): Promise<number> {
  const { logger } = run.deps;
  if (mark.state === 'confirmed') {
    logger.info(`This content is already in the datastore (${mark.origin}/…): nothing to upload.`);
    return 0;
  }
  if (mark.state === 'partial')
    logger.info('An earlier upload of this content did not finish: uploading it again.');
  try {
    const bytes = await uploadBlobs({
      container: upload.access.container,
      blobs: upload.layout.blobs,
      fileMd5: upload.fileMd5,
      logger,
      tuning: run.deps.upload,
      now: run.deps.now,
    });
    // Last, after every blob: the mark says the upload is complete.
    await writeUploadMark(upload.access.container, upload.layout.indicatorBlob, {
      name: run.checked.options.modelName,
      version: planned,
    });
    return bytes;
  } catch (error) {
    throw explainStorageFailure(error, upload.access, upload.datastore);
  }
}

/** As the SDK does after an auto-incremented registration: the mark names the version that won. */
async function remark(
  run: Run,
  upload: Upload,
  marked: { name?: string; version?: string },
  version: string,
) {
  const name = run.checked.options.modelName;
  if (marked.name === name && marked.version === version) return;
  try {
    await writeUploadMark(upload.access.container, upload.layout.indicatorBlob, { name, version });
  } catch (error) {
    const why = explainStorageFailure(error, upload.access, upload.datastore).message;
    run.deps.logger.warning(`The upload mark could not be updated (${why}); the registration stands.`);
  }
}

interface Registered extends VersionOutcome {
  uploadedBytes: number;
  access: DatastoreAccess;
  uri: string;
}

async function uploadAndRegister(
  run: Run,
  datastore: BlobDatastore,
  content: ContentHash,
): Promise<Registered> {
  const { checked, deps } = run;
  const { options, scan } = checked;
  const explain = explainer(run);
  let access: DatastoreAccess;
  try {
    access = await openDatastore(run.workspace, datastore, deps);
  } catch (error) {
    throw explain(error, 'get a SAS for the datastore');
  }
  run.secrets.push(...access.secrets);
  let layout = uploadLayout(scan, content.hash);
  let mark: UploadMark;
  try {
    mark = await readUploadMark(access.container, layout.indicatorBlob);
  } catch (error) {
    throw explainStorageFailure(error, access, datastore);
  }
  // Content an older SDK uploaded to its legacy folder is used where it is.
  if (mark.state === 'confirmed' && mark.origin !== ARTIFACT_ORIGIN)
    layout = uploadLayout(scan, content.hash, mark.origin);
  const upload: Upload = { access, datastore, layout, fileMd5: content.fileMd5 };
  const uri = datastoreUri(checked.workspace, datastore.name, layout.assetPath);
  const context: VersionContext = {
    workspace: run.workspace,
    modelName: options.modelName,
    logger: deps.logger,
    explain,
  };

  const existing = options.modelVersion ? undefined : await versionHoldingContent(context, mark, uri);
  if (existing) {
    deps.logger.info(
      `Version ${existing.name} of '${options.modelName}' already holds this content: registering nothing new.`,
    );
    return { resource: existing, created: false, uploadedBytes: 0, access, uri };
  }
  const planned = options.modelVersion ?? (await nextVersion(context));
  const uploadedBytes = await uploadUnlessMarked(run, upload, mark, planned);
  const body = versionBody(checked, uri);
  const outcome = options.modelVersion
    ? await registerExplicitVersion(context, planned, body)
    : await registerNextVersion(context, planned, body);
  const marked = mark.state === 'confirmed' ? mark : { name: options.modelName, version: planned };
  await remark(run, upload, marked, outcome.resource.name);
  deps.logger.info(
    `${outcome.created ? 'Registered' : 'Already registered:'} ${options.modelName} version ${outcome.resource.name}`,
  );
  return { ...outcome, uploadedBytes, access, uri };
}

/** Registers a checked registration (see checkRegistration); most callers use registerModel. */
export async function registerChecked(
  checked: CheckedRegistration,
  deps: RegisterModelDeps,
): Promise<RegisteredModel> {
  const { options, scan } = checked;
  const arm =
    deps.arm ??
    createArmClient({ endpoint: options.armEndpoint, credential: deps.credential, retry: deps.armRetry });
  const run: Run = { checked, deps, workspace: new AmlWorkspace(arm, checked.workspace), secrets: [] };

  const datastore = await findDatastore(run);
  const content = await hashWithLog(scan, deps.logger);
  const registered = await deps.logger.group(`Upload and register ${options.modelName}`, () =>
    uploadAndRegister(run, datastore, content),
  );

  const version = registered.resource.name;
  return {
    name: options.modelName,
    version,
    id: registered.resource.id || modelVersionId(checked.workspace, options.modelName, version),
    uri: registered.resource.properties.modelUri ?? registered.uri,
    hash: content.hash,
    created: registered.created,
    uploadedBytes: registered.uploadedBytes,
    modelBytes: scan.totalBytes,
    fileCount: scan.files.length,
    datastore: datastore.name,
    access: registered.access.kind,
    workspace: checked.workspace,
  };
}

/** Checks `options` (throwing one InputError listing every problem), then registers the model. */
export async function registerModel(
  options: RegisterModelOptions,
  deps: RegisterModelDeps,
): Promise<RegisteredModel> {
  const { registration, problems } = checkRegistration(options);
  if (!registration) throw new InputError(problems);
  return registerChecked(registration, deps);
}
