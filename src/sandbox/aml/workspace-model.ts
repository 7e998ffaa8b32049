// One sandbox Azure ML workspace: its datastores (pointing at Azurite) and its model registry, with
// the service's rules — model names by the ARM pattern, versions created by a synchronous PUT that
// also creates the container, `nextVersion` one above the highest numeric version, immutable paths
// (`Asset paths cannot be updated`), and mutable description, tags and properties.
import { armError } from './http-errors.js';

export const MODEL_NAME_RULE = /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/;
const VERSION_RULE = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/;
/** The SDK's values and the REST examples' values; whether the service maps one to the other is unverified. */
const MODEL_TYPES = [
  'custom_model',
  'mlflow_model',
  'triton_model',
  'CustomModel',
  'MLFlowModel',
  'TritonModel',
];

export interface WorkspaceIdentity {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  location: string;
}

export interface SandboxDatastore {
  name: string;
  /** `AccountKey` answers listSecrets; `None` means identity-based access only. */
  credentialsType: 'AccountKey' | 'Sas' | 'None';
  isDefault: boolean;
  accountName: string;
  containerName: string;
  /** The storage endpoint: for Azurite, its `host:port` (clients then address it path-style). */
  endpoint: string;
  protocol: 'http' | 'https';
}

interface StoredVersion {
  version: string;
  modelUri: string;
  modelType: string;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  isArchived: boolean;
  createdAt: string;
  createdBy: string;
  lastModifiedAt: string;
  lastModifiedBy: string;
}

interface StoredContainer {
  name: string;
  createdAt: string;
  versions: Map<string, StoredVersion>;
}

export interface PutResult {
  status: 200 | 201;
  resource: Record<string, unknown>;
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== 'string')
  )
    throw armError(400, 'UserError', `properties.${field} must be an object of strings.`);
  return { ...(value as Record<string, string>) };
}

export class SandboxWorkspace {
  private readonly models = new Map<string, StoredContainer>();
  /** Status of "Asset paths cannot be updated" (409 by default; the real code is unverified). */
  assetPathConflictStatus: 400 | 409 = 409;
  /** PUTs refused because the version holds another path: registrations that lost a race. */
  conflicts = 0;

  constructor(
    readonly identity: WorkspaceIdentity,
    readonly datastores: readonly SandboxDatastore[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  get armId(): string {
    const { subscriptionId, resourceGroup, workspace } = this.identity;
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`;
  }

  workspaceResource(): Record<string, unknown> {
    return {
      id: this.armId,
      name: this.identity.workspace,
      type: 'Microsoft.MachineLearningServices/workspaces',
      location: this.identity.location,
      properties: { friendlyName: this.identity.workspace, provisioningState: 'Succeeded' },
    };
  }

  datastore(name: string): SandboxDatastore {
    const found = this.datastores.find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (!found)
      throw armError(
        404,
        'UserError',
        `Datastore '${name}' was not found in workspace '${this.identity.workspace}'.`,
      );
    return found;
  }

  datastoreResource(datastore: SandboxDatastore): Record<string, unknown> {
    return {
      id: `${this.armId}/datastores/${datastore.name}`,
      name: datastore.name,
      type: 'Microsoft.MachineLearningServices/workspaces/datastores',
      properties: {
        datastoreType: 'AzureBlob',
        accountName: datastore.accountName,
        containerName: datastore.containerName,
        endpoint: datastore.endpoint,
        protocol: datastore.protocol,
        serviceDataAccessAuthIdentity: 'None',
        credentials: { credentialsType: datastore.credentialsType },
        isDefault: datastore.isDefault,
        description: '',
        properties: {},
        tags: {},
      },
    };
  }

  listDatastores(onlyDefault: boolean): Record<string, unknown> {
    const selected = this.datastores.filter((d) => !onlyDefault || d.isDefault);
    return { value: selected.map((d) => this.datastoreResource(d)) };
  }

  private container(name: string): StoredContainer {
    const found = this.models.get(name);
    if (!found) throw armError(404, 'UserError', `Could not find model container '${name}'.`);
    return found;
  }

  /** One above the highest numeric version (1 for none). */
  private nextVersion(container: StoredContainer): string {
    let highest = 0;
    for (const version of container.versions.keys())
      if (/^\d+$/.test(version)) highest = Math.max(highest, Number(version));
    return String(highest + 1);
  }

  containerResource(name: string): Record<string, unknown> {
    const container = this.container(name);
    const versions = [...container.versions.values()];
    const latest = versions.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
    return {
      id: `${this.armId}/models/${name}`,
      name,
      type: 'Microsoft.MachineLearningServices/workspaces/models',
      properties: {
        description: null,
        tags: {},
        properties: {},
        isArchived: false,
        latestVersion: latest?.version ?? null,
        nextVersion: this.nextVersion(container),
        provisioningState: 'Succeeded',
      },
      systemData: { createdAt: container.createdAt },
    };
  }

  private versionResource(name: string, stored: StoredVersion): Record<string, unknown> {
    return {
      id: `${this.armId}/models/${name}/versions/${stored.version}`,
      name: stored.version,
      type: 'Microsoft.MachineLearningServices/workspaces/models/versions',
      properties: {
        description: stored.description ?? null,
        tags: stored.tags,
        properties: stored.properties,
        isArchived: stored.isArchived,
        isAnonymous: false,
        flavors: {},
        jobName: null,
        modelType: stored.modelType,
        modelUri: stored.modelUri,
        stage: 'Development',
        provisioningState: 'Succeeded',
      },
      systemData: {
        createdAt: stored.createdAt,
        createdBy: stored.createdBy,
        createdByType: 'Application',
        lastModifiedAt: stored.lastModifiedAt,
        lastModifiedBy: stored.lastModifiedBy,
        lastModifiedByType: 'Application',
      },
    };
  }

  versionResourceOf(name: string, version: string): Record<string, unknown> {
    const stored = this.container(name).versions.get(version);
    if (!stored) throw armError(404, 'UserError', `Could not find model '${name}' version '${version}'.`);
    return this.versionResource(name, stored);
  }

  listVersions(name: string): Record<string, unknown> {
    const container = this.models.get(name);
    const versions = container ? [...container.versions.values()] : [];
    return { value: versions.map((v) => this.versionResource(name, v)) };
  }

  listContainers(): Record<string, unknown> {
    return { value: [...this.models.keys()].map((name) => this.containerResource(name)) };
  }

  private referencedDatastore(name: string, modelUri: string): void {
    if (!this.datastores.some((d) => d.name.toLowerCase() === name.toLowerCase()))
      throw armError(
        400,
        'UserError',
        `Datastore '${name}' of the model URI '${modelUri}' was not found in the workspace.`,
      );
  }

  /** The long datastore URI's workspace and datastore must be this workspace's. */
  private checkModelUri(modelUri: string): void {
    const long =
      /^azureml:\/\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/workspaces\/([^/]+)\/datastores\/([^/]+)\/paths\/(.+)$/i.exec(
        modelUri,
      );
    const short = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.+)$/i.exec(modelUri);
    if (long) {
      const [, sub, rg, ws, datastore] = long;
      const { subscriptionId, resourceGroup, workspace } = this.identity;
      if (
        sub!.toLowerCase() !== subscriptionId.toLowerCase() ||
        rg!.toLowerCase() !== resourceGroup.toLowerCase() ||
        ws!.toLowerCase() !== workspace.toLowerCase()
      )
        throw armError(400, 'UserError', `The model URI '${modelUri}' points at another workspace.`);
      this.referencedDatastore(datastore!, modelUri);
    } else if (short) {
      this.referencedDatastore(short[1]!, modelUri);
    } else if (!/^(azureml|https?|runs):/i.test(modelUri)) {
      throw armError(400, 'UserError', `The model URI '${modelUri}' is not a supported URI.`);
    }
  }

  /** PUT models/{name}/versions/{version}: 201 created, 200 updated, 409/400 for a changed path. */
  putVersion(name: string, version: string, body: unknown, principal: string): PutResult {
    if (!MODEL_NAME_RULE.test(name))
      throw armError(
        400,
        'UserError',
        `Model name '${name}' is invalid: it must match ${MODEL_NAME_RULE.source}.`,
      );
    if (!VERSION_RULE.test(version))
      throw armError(400, 'UserError', `Model version '${version}' is invalid.`);
    const properties = (body as { properties?: Record<string, unknown> } | undefined)?.properties;
    if (!properties || typeof properties !== 'object')
      throw armError(400, 'UserError', 'The request body must have properties.');
    const modelUri = properties.modelUri;
    if (typeof modelUri !== 'string' || !modelUri)
      throw armError(400, 'UserError', 'properties.modelUri is required.');
    this.checkModelUri(modelUri);
    const modelType = properties.modelType ?? 'custom_model';
    if (typeof modelType !== 'string' || !MODEL_TYPES.includes(modelType))
      throw armError(400, 'UserError', `Model type '${String(modelType)}' is not supported.`);
    const description = typeof properties.description === 'string' ? properties.description : undefined;
    const tags = stringMap(properties.tags, 'tags');
    const props = stringMap(properties.properties, 'properties');
    const isArchived = properties.isArchived === true;
    const now = this.now().toISOString();

    let container = this.models.get(name);
    const existing = container?.versions.get(version);
    if (existing) {
      if (existing.modelUri !== modelUri) {
        this.conflicts++;
        throw armError(this.assetPathConflictStatus, 'UserError', 'Asset paths cannot be updated.');
      }
      Object.assign(existing, {
        description,
        tags,
        properties: props,
        isArchived,
        lastModifiedAt: now,
        lastModifiedBy: principal,
      });
      return { status: 200, resource: this.versionResource(name, existing) };
    }
    if (!container) {
      container = { name, createdAt: now, versions: new Map() };
      this.models.set(name, container);
    }
    const stored: StoredVersion = {
      version,
      modelUri,
      modelType,
      description,
      tags,
      properties: props,
      isArchived,
      createdAt: now,
      createdBy: principal,
      lastModifiedAt: now,
      lastModifiedBy: principal,
    };
    container.versions.set(version, stored);
    return { status: 201, resource: this.versionResource(name, stored) };
  }

  deleteVersion(name: string, version: string): void {
    const container = this.container(name);
    if (!container.versions.delete(version))
      throw armError(404, 'UserError', `Could not find model '${name}' version '${version}'.`);
  }

  /** Versions of a model, for tests: version → modelUri. */
  versionsOf(name: string): Record<string, string> {
    return Object.fromEntries(
      [...(this.models.get(name)?.versions.values() ?? [])].map((v) => [v.version, v.modelUri]),
    );
  }
}
