// The Azure ML workspace calls of a model registration (reference §1.3), on the small ARM client:
// the default datastore, its short-lived SAS (listSecrets), model containers and versions. One stable
// api-version for all of them; the service answers with the shapes typed below (only the fields used).
import type { ArmClient } from '../azure/arm-client.js';
import { ArmError } from '../azure/arm-error.js';
import { workspacePath, type WorkspaceRef } from './model-paths.js';

/** A stable api-version that has datastores, listSecrets with an expiry body, and model versions. */
export const AML_API_VERSION = '2024-10-01';

export interface BlobDatastore {
  name: string;
  accountName: string;
  containerName: string;
  /** The storage endpoint suffix, e.g. `core.windows.net`. */
  endpoint: string;
  protocol: string;
  /** `AccountKey`, `Sas`, `None` (identity-based: no key access), ... */
  credentialsType: string;
}

export type DatastoreSecrets =
  | { secretsType: 'Sas'; sasToken: string }
  | { secretsType: 'AccountKey'; key: string }
  | { secretsType: string };

export interface ModelVersionResource {
  id: string;
  name: string;
  properties: {
    modelUri?: string;
    modelType?: string;
    description?: string;
    tags?: Record<string, string>;
    properties?: Record<string, string>;
    isArchived?: boolean;
  };
}

export interface ModelVersionBody {
  properties: {
    modelUri: string;
    modelType: string;
    description?: string;
    tags: Record<string, string>;
    properties: Record<string, string>;
    isAnonymous: false;
    isArchived: false;
  };
}

interface DatastoreResource {
  name: string;
  properties: {
    datastoreType?: string;
    accountName?: string;
    containerName?: string;
    endpoint?: string;
    protocol?: string;
    isDefault?: boolean;
    credentials?: { credentialsType?: string };
  };
}

export class DatastoreShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatastoreShapeError';
  }
}

function toBlobDatastore(resource: DatastoreResource): BlobDatastore {
  const p = resource.properties;
  if (p.datastoreType !== 'AzureBlob' || !p.accountName || !p.containerName) {
    throw new DatastoreShapeError(
      `the workspace's default datastore '${resource.name}' is a ${p.datastoreType ?? 'unknown'} datastore, not an ` +
        'Azure Blob container: make an Azure Blob datastore the default (Azure ML uses workspaceblobstore)',
    );
  }
  return {
    name: resource.name,
    accountName: p.accountName,
    containerName: p.containerName,
    endpoint: p.endpoint || 'core.windows.net',
    protocol: p.protocol || 'https',
    credentialsType: p.credentials?.credentialsType ?? 'None',
  };
}

function isNotFound(error: unknown): boolean {
  return error instanceof ArmError && error.status === 404;
}

export class AmlWorkspace {
  private readonly base: string;

  constructor(
    private readonly arm: ArmClient,
    readonly ref: WorkspaceRef,
  ) {
    this.base = workspacePath(ref);
  }

  /** `GET datastores?isDefault=true`: also the first proof that the workspace exists. */
  async defaultDatastore(): Promise<BlobDatastore> {
    const { body } = await this.arm.send<{ value?: DatastoreResource[] }>({
      method: 'GET',
      path: `${this.base}/datastores`,
      apiVersion: AML_API_VERSION,
      query: { isDefault: 'true' },
    });
    const found = body.value?.find((d) => d.properties.isDefault !== false) ?? body.value?.[0];
    if (!found)
      throw new DatastoreShapeError('the workspace has no default datastore: set one in Azure ML studio');
    return toBlobDatastore(found);
  }

  /** A SAS for the datastore's container, expiring after `hours` (older services answer the key). */
  async listSecrets(datastore: string, hours = 1): Promise<DatastoreSecrets> {
    const { body } = await this.arm.send<DatastoreSecrets>({
      method: 'POST',
      path: `${this.base}/datastores/${encodeURIComponent(datastore)}/listSecrets`,
      apiVersion: AML_API_VERSION,
      body: { expirableSecret: true, expireAfterHours: hours },
    });
    return body;
  }

  /** The container's next version; '1' when the model does not exist yet. */
  async nextVersion(name: string): Promise<string> {
    try {
      const { body } = await this.arm.send<{ properties?: { nextVersion?: string | number } }>({
        method: 'GET',
        path: `${this.base}/models/${encodeURIComponent(name)}`,
        apiVersion: AML_API_VERSION,
      });
      const next = body.properties?.nextVersion;
      return next === undefined || next === null || next === '' ? '1' : String(next);
    } catch (error) {
      if (isNotFound(error)) return '1';
      throw error;
    }
  }

  async getVersion(name: string, version: string): Promise<ModelVersionResource | undefined> {
    try {
      const { body } = await this.arm.send<ModelVersionResource>({
        method: 'GET',
        path: `${this.base}/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`,
        apiVersion: AML_API_VERSION,
      });
      return body;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The synchronous create-or-update: 201 created, 200 updated (same modelUri). */
  async putVersion(
    name: string,
    version: string,
    body: ModelVersionBody,
  ): Promise<{ created: boolean; resource: ModelVersionResource }> {
    const response = await this.arm.send<ModelVersionResource>({
      method: 'PUT',
      path: `${this.base}/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`,
      apiVersion: AML_API_VERSION,
      body,
    });
    return { created: response.status === 201, resource: response.body };
  }
}
