// Write access to the datastore's blob container, the way the Azure ML SDK gets it (reference §1.2
// step 3): a SAS from listSecrets that expires after an hour, or — when the datastore has no
// credentials (key access disabled), or listSecrets is refused — the caller's own Entra identity,
// which then needs a Storage Blob Data role. The SAS is masked before anything can log it.
import {
  ContainerClient,
  StorageSharedKeyCredential,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import { isIP } from 'node:net';
import { ArmError } from '../azure/arm-error.js';
import type { Logger } from '../logger.js';
import type { AmlWorkspace, BlobDatastore } from './aml-workspace.js';

export type AccessKind = 'sas' | 'account-key' | 'entra';

export interface DatastoreAccess {
  container: ContainerClient;
  kind: AccessKind;
  /** The container URL without credentials, for messages. */
  url: string;
  /** Secrets in use, for redacting error texts. */
  secrets: string[];
}

export interface DatastoreAccessDeps {
  credential: TokenCredential;
  logger: Logger;
  mask(secret: string): void;
  /** Storage client options (retries, HTTP client). */
  storageOptions?: StoragePipelineOptions;
}

/**
 * The blob service URL of a datastore: `https://<account>.blob.<endpoint>`. An endpoint that is an IP
 * address or localhost (with a port) is a storage emulator such as Azurite, which serves accounts
 * path-style: `https://127.0.0.1:10000/<account>`.
 */
export function blobAccountUrl(
  datastore: Pick<BlobDatastore, 'accountName' | 'endpoint' | 'protocol'>,
): string {
  const host = datastore.endpoint.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const emulator = isIP(host) !== 0 || host === 'localhost';
  return emulator
    ? `${datastore.protocol}://${datastore.endpoint}/${datastore.accountName}`
    : `${datastore.protocol}://${datastore.accountName}.blob.${datastore.endpoint}`;
}

/** Masks a SAS and its signature (alone and URL-encoded), the parts that grant access. */
function maskSas(sas: string, mask: (secret: string) => void): void {
  mask(sas);
  const signature = new URLSearchParams(sas).get('sig');
  if (signature) {
    mask(signature);
    mask(encodeURIComponent(signature));
  }
}

function entraAccess(url: string, deps: DatastoreAccessDeps): DatastoreAccess {
  return {
    container: new ContainerClient(url, deps.credential, deps.storageOptions),
    kind: 'entra',
    url,
    secrets: [],
  };
}

/** listSecrets answers after which the identity's own data access is tried (a refusal, not an outage). */
const FALLBACK_STATUSES = new Set([400, 403, 404, 405]);

/** Access to the datastore's container; a refused `listSecrets` falls back to the Entra identity. */
export async function openDatastore(
  workspace: AmlWorkspace,
  datastore: BlobDatastore,
  deps: DatastoreAccessDeps,
): Promise<DatastoreAccess> {
  const url = `${blobAccountUrl(datastore)}/${datastore.containerName}`;
  if (datastore.credentialsType === 'None') {
    deps.logger.info(
      `Datastore '${datastore.name}' has no stored credentials: uploading with the Azure identity.`,
    );
    return entraAccess(url, deps);
  }
  let secrets;
  try {
    secrets = await workspace.listSecrets(datastore.name);
  } catch (error) {
    // As the SDK does: without the listsecrets permission, try the identity's own data access.
    if (!(error instanceof ArmError) || !FALLBACK_STATUSES.has(error.status)) throw error;
    deps.logger.warning(
      `Listing the secrets of datastore '${datastore.name}' was refused (${error.status} ${error.code}); ` +
        'uploading with the Azure identity instead, which needs Storage Blob Data Contributor on the storage account.',
    );
    return entraAccess(url, deps);
  }
  if ('sasToken' in secrets && typeof secrets.sasToken === 'string' && secrets.sasToken) {
    const sas = secrets.sasToken.replace(/^\?/, '');
    maskSas(sas, deps.mask);
    deps.logger.info(`Datastore '${datastore.name}': uploading with a SAS that expires in an hour.`);
    return {
      container: new ContainerClient(`${url}?${sas}`, undefined, deps.storageOptions),
      kind: 'sas',
      url,
      secrets: [sas],
    };
  }
  if ('key' in secrets && typeof secrets.key === 'string' && secrets.key) {
    deps.mask(secrets.key);
    deps.logger.info(
      `Datastore '${datastore.name}': the service returned the account key; uploading with it.`,
    );
    const credential = new StorageSharedKeyCredential(datastore.accountName, secrets.key);
    return {
      container: new ContainerClient(url, credential, deps.storageOptions),
      kind: 'account-key',
      url,
      secrets: [secrets.key],
    };
  }
  deps.logger.warning(
    `Datastore '${datastore.name}' returned no usable secret (${secrets.secretsType}); uploading with the Azure identity.`,
  );
  return entraAccess(url, deps);
}
