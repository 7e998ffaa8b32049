// Where a model's bytes live and how Azure ML names them, in the SDK's layout (reference §1.2 steps
// 4 and 6): blobs under `LocalUpload/<hash>/<file-or-folder name>`, an indicator blob that carries the
// "upload completed" metadata, the long `azureml://` datastore URI of the upload, and ARM ids.
import type { ModelScan } from './model-scan.js';

/** The SDK's artifact origin folder; `az-ml-artifacts` is where older SDKs uploaded. */
export const ARTIFACT_ORIGIN = 'LocalUpload';
export const LEGACY_ARTIFACT_ORIGIN = 'az-ml-artifacts';

export interface WorkspaceRef {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

export interface ModelBlob {
  /** Local file. */
  absolutePath: string;
  relativePath: string;
  size: number;
  /** Blob name in the datastore's container. */
  blobName: string;
}

export interface UploadLayout {
  /** `LocalUpload/<hash>/<name>`: the model's path in the datastore (its `modelUri` path). */
  assetPath: string;
  blobs: ModelBlob[];
  /** The blob whose metadata says the upload completed: the file, or a folder's first file. */
  indicatorBlob: string;
}

/** Code point order, as Python sorts strings. */
function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The blobs of `scan` under `<origin>/<hash>/`. */
export function uploadLayout(scan: ModelScan, hash: string, origin = ARTIFACT_ORIGIN): UploadLayout {
  const assetPath = `${origin}/${hash}/${scan.baseName}`;
  const blobs = scan.files.map((file) => ({
    ...file,
    blobName: scan.kind === 'file' ? assetPath : `${assetPath}/${file.relativePath}`,
  }));
  // The SDK sorts a folder's (local path, blob) pairs and takes the first as the indicator.
  const first = [...blobs].sort((a, b) => byCodePoint(a.relativePath, b.relativePath))[0];
  if (!first) throw new Error(`model '${scan.path}' has no file to upload`);
  return { assetPath, blobs, indicatorBlob: first.blobName };
}

/** The workspace's ARM resource id. */
export function workspaceId(ref: WorkspaceRef): string {
  return (
    `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${ref.workspace}`
  );
}

/** The ARM path of a workspace, with each name URL-encoded. */
export function workspacePath(ref: WorkspaceRef): string {
  const e = encodeURIComponent;
  return (
    `/subscriptions/${e(ref.subscriptionId)}/resourceGroups/${e(ref.resourceGroup)}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${e(ref.workspace)}`
  );
}

/** `azureml://subscriptions/…/datastores/<ds>/paths/<path>`: the SDK's LONG_URI_FORMAT. */
export function datastoreUri(ref: WorkspaceRef, datastore: string, path: string): string {
  return (
    `azureml://subscriptions/${ref.subscriptionId}/resourcegroups/${ref.resourceGroup}` +
    `/workspaces/${ref.workspace}/datastores/${datastore}/paths/${path}`
  );
}

/** The ARM id of a model version (what the service returns as `id`). */
export function modelVersionId(ref: WorkspaceRef, name: string, version: string): string {
  return `${workspaceId(ref)}/models/${name}/versions/${version}`;
}
