// The "upload completed" mark the Azure ML SDK keeps in the indicator blob's metadata (reference §1.2
// step 4): `upload_status=completed` plus the name and version the content was registered as. A
// confirmed mark means the whole model is in storage: nothing is uploaded again. A blob without it is
// the remains of an interrupted upload and is overwritten.
import type { ContainerClient } from '@azure/storage-blob';
import { ARTIFACT_ORIGIN, LEGACY_ARTIFACT_ORIGIN } from './model-paths.js';

export const UPLOAD_STATUS_KEY = 'upload_status';
export const UPLOAD_COMPLETED = 'completed';

export type UploadMark =
  | { state: 'absent' }
  | { state: 'partial' }
  | { state: 'confirmed'; origin: string; name?: string; version?: string };

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number } | undefined)?.statusCode;
}

async function readMetadata(
  container: ContainerClient,
  blob: string,
): Promise<Record<string, string> | undefined> {
  try {
    return (await container.getBlobClient(blob).getProperties()).metadata ?? {};
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

/** The mark of `indicatorBlob`; like the SDK, an upload confirmed under the legacy folder also counts. */
export async function readUploadMark(container: ContainerClient, indicatorBlob: string): Promise<UploadMark> {
  let partial = false;
  const legacy = indicatorBlob.replace(`${ARTIFACT_ORIGIN}/`, `${LEGACY_ARTIFACT_ORIGIN}/`);
  for (const [blob, origin] of [
    [indicatorBlob, ARTIFACT_ORIGIN],
    [legacy, LEGACY_ARTIFACT_ORIGIN],
  ] as const) {
    const metadata = await readMetadata(container, blob);
    if (metadata === undefined) continue;
    if (metadata[UPLOAD_STATUS_KEY] === UPLOAD_COMPLETED) {
      return { state: 'confirmed', origin, name: metadata.name, version: metadata.version };
    }
    if (origin === ARTIFACT_ORIGIN) partial = true;
  }
  return partial ? { state: 'partial' } : { state: 'absent' };
}

/** Marks the upload complete, naming the model version that holds it (written last, after every blob). */
export async function writeUploadMark(
  container: ContainerClient,
  indicatorBlob: string,
  registered: { name: string; version: string },
): Promise<void> {
  await container.getBlobClient(indicatorBlob).setMetadata({
    [UPLOAD_STATUS_KEY]: UPLOAD_COMPLETED,
    name: registered.name,
    version: registered.version,
  });
}
