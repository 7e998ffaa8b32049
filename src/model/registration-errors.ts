// Why a registration failed, in words that name the input or the role to change. ARM's own messages
// name resources, not inputs; the ARM code and the step that failed say which input is wrong.
import { ArmError } from '../azure/arm-error.js';
import { redactSecrets } from '../azure/redact-secrets.js';
import type { BlobDatastore } from './aml-workspace.js';
import type { DatastoreAccess } from './datastore-access.js';
import type { WorkspaceRef } from './model-paths.js';

export class RegistrationError extends Error {
  constructor(
    message: string,
    /** The input most likely wrong, when there is one. */
    readonly input?: string,
  ) {
    super(message);
    this.name = 'RegistrationError';
  }
}

/** The step that failed, for the message: what was being done when ARM refused. */
export type RegistrationStep =
  'find the workspace' | 'get a SAS for the datastore' | 'read the model' | 'register the model version';

/** The ARM action of a step, for the role advice. */
const STEP_ACTIONS: Record<RegistrationStep, string> = {
  'find the workspace': 'Microsoft.MachineLearningServices/workspaces/datastores/read',
  'get a SAS for the datastore': 'Microsoft.MachineLearningServices/workspaces/datastores/listsecrets/action',
  'read the model': 'Microsoft.MachineLearningServices/workspaces/models/read',
  'register the model version': 'Microsoft.MachineLearningServices/workspaces/models/versions/write',
};

function where(ref: WorkspaceRef): string {
  return `workspace '${ref.workspace}' in resource-group '${ref.resourceGroup}' of subscription-id '${ref.subscriptionId}'`;
}

function notFound(error: ArmError, ref: WorkspaceRef, step: RegistrationStep): RegistrationError {
  switch (error.code) {
    case 'SubscriptionNotFound':
    case 'InvalidSubscriptionId':
      return new RegistrationError(
        `Subscription '${ref.subscriptionId}' was not found: check subscription-id (and that the identity has access to it).`,
        'subscription-id',
      );
    case 'ResourceGroupNotFound':
      return new RegistrationError(
        `Resource group '${ref.resourceGroup}' was not found in subscription-id '${ref.subscriptionId}': check resource-group ` +
          '(the group that holds the Azure ML workspace) and subscription-id.',
        'resource-group',
      );
    default:
      if (step === 'find the workspace')
        return new RegistrationError(
          `The Azure ML ${where(ref)} was not found (${error.code}): check workspace (the workspace's name, not its ` +
            'display name) and resource-group (the group that holds it).',
          'workspace',
        );
      return new RegistrationError(`Azure ML could not ${step}: ${error.serviceMessage}`);
  }
}

function forbidden(error: ArmError, step: RegistrationStep, identity: string): RegistrationError {
  const action = /action '([^']+)'/.exec(error.serviceMessage)?.[1] ?? STEP_ACTIONS[step];
  return new RegistrationError(
    `${identity} may not ${step} (${error.code}: no permission for '${action}'). Grant it the 'AzureML Data Scientist' ` +
      'role on the workspace (or a custom role with that action); role assignments can take a few minutes to apply.',
  );
}

function unauthorized(error: ArmError, armEndpoint: string): RegistrationError {
  if (error.code === 'InvalidAuthenticationTokenTenant')
    return new RegistrationError(
      `Azure Resource Manager refused the token: ${error.serviceMessage} Set tenant-id to the tenant of the subscription.`,
      'tenant-id',
    );
  return new RegistrationError(
    `Azure Resource Manager at ${armEndpoint} refused the token (${error.code}: ${error.serviceMessage}). Check that ` +
      'arm-endpoint and authority-host belong to the same cloud, and tenant-id.',
    'arm-endpoint',
  );
}

/** An ArmError of `step`, explained; other errors pass through (redacted). */
export function explainRegistrationFailure(
  error: unknown,
  context: {
    ref: WorkspaceRef;
    step: RegistrationStep;
    armEndpoint: string;
    identity: string;
    secrets?: string[];
  },
): Error {
  if (!(error instanceof ArmError)) {
    if (error instanceof Error && context.secrets?.length)
      error.message = redactSecrets(error.message, context.secrets);
    return error instanceof Error ? error : new Error(String(error));
  }
  const { ref, step } = context;
  if (error.status === 404 || error.code === 'InvalidSubscriptionId') return notFound(error, ref, step);
  if (error.status === 403) return forbidden(error, step, context.identity);
  if (error.status === 401) return unauthorized(error, context.armEndpoint);
  if (error.status === 429)
    return new RegistrationError(
      `Azure Resource Manager kept throttling the requests to ${step} (${error.code}) after several retries: re-run later.`,
    );
  if (error.status >= 500)
    return new RegistrationError(
      `Azure ML failed to ${step} with ${error.status} ${error.code} after several retries (a service-side fault): ` +
        `re-run the job.${error.requestId ? ` Request id ${error.requestId}.` : ''}`,
    );
  return new RegistrationError(
    `Azure ML refused to ${step}: ${error.status} ${error.code}: ${error.serviceMessage}`,
  );
}

/** A storage failure, with what to check; the datastore's secrets never appear in the message. */
export function explainStorageFailure(
  error: unknown,
  access: Pick<DatastoreAccess, 'kind' | 'url' | 'secrets'>,
  datastore: BlobDatastore,
): RegistrationError {
  const status = (error as { statusCode?: number } | undefined)?.statusCode;
  const raw = redactSecrets(error instanceof Error ? error.message : String(error), access.secrets);
  const text = raw.split('\n')[0] ?? raw;
  const where =
    `container '${datastore.containerName}' of storage account '${datastore.accountName}' ` +
    `(datastore '${datastore.name}')`;
  if (status === 403 && access.kind === 'entra')
    return new RegistrationError(
      `The Azure identity may not write to ${where}: ${text}. Grant it 'Storage Blob Data Contributor' on the ` +
        'storage account (datastores without stored credentials are written with the caller’s own identity).',
    );
  if (status === 403)
    return new RegistrationError(
      `Storage refused the datastore's credentials for ${where}: ${text}. Re-run; if it persists, check the ` +
        "datastore's credentials in Azure ML studio.",
    );
  if (/ENOTFOUND|ECONNREFUSED|ECONNRESET|getaddrinfo/.test(text))
    return new RegistrationError(
      `Storage account '${datastore.accountName}' could not be reached at ${access.url}: ${text}. Check the ` +
        'network (firewalls, private endpoints) between the runner and the storage account.',
    );
  return new RegistrationError(`Uploading to ${where} failed: ${text}`);
}
