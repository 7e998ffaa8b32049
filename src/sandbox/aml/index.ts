// The programmatic way to run a sandbox Azure ML workspace: an HTTPS endpoint that is both the ARM
// endpoint and the Entra authority host (the real @azure/identity credentials sign in against it),
// with the workspace's default datastore in an Azurite started alongside. Tests, the benchmark and the
// demo start it through `startSandboxAml` and point registerModel (or the register-model stage) at
// `armEndpoint`, `authorityHost`, the ids and the client secret it returns.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import {
  ContainerClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import { listenOnLoopback } from '../loopback.js';
import { createCertificateAuthority, issueServerCertificate, type PemPair } from '../tls.js';
import type { ArmAction } from './arm-routes.js';
import { startAzurite, type Azurite } from './azurite.js';
import { GITHUB_AUDIENCE, GITHUB_ISSUER, githubIdToken, SandboxEntra, type SandboxClient } from './entra.js';
import { AmlFaults } from './faults.js';
import { createAmlRequestListener, emptyFrontCounters, type AmlCounters } from './server.js';
import { SandboxWorkspace, type SandboxDatastore } from './workspace-model.js';

export { startAzurite, type Azurite, type AzuriteOptions } from './azurite.js';
export type { ArmAction } from './arm-routes.js';
export type { AmlFaultRule, BarrierRule } from './faults.js';
export type { AmlCounters } from './server.js';
export type { SandboxClient, FederatedCredential } from './entra.js';

export const SANDBOX_TENANT_ID = '5a4d1b7e-0000-4000-8000-00000000a001';
export const SANDBOX_SUBSCRIPTION_ID = '5a4d1b7e-0000-4000-8000-00000000b002';
export const SANDBOX_CLIENT_ID = '5a4d1b7e-0000-4000-8000-00000000c003';
export const SANDBOX_RESOURCE_GROUP = 'ml-sandbox-rg';
export const SANDBOX_WORKSPACE = 'ml-sandbox-ws';
/** The subject of the default client's federated credential: a workflow on main of example/models. */
export const SANDBOX_GITHUB_SUBJECT = 'repo:example/models:ref:refs/heads/main';

export interface SandboxDatastoreSpec {
  name: string;
  credentialsType: 'AccountKey' | 'Sas' | 'None';
  isDefault?: boolean;
}

export interface SandboxAmlOptions {
  /** CA that signs the endpoint's (and Azurite's) certificate; `file` if it is on disk already. */
  ca?: PemPair & { file?: string };
  /** Loopback address; default a free one of 127.0.0.2–127.0.0.254. */
  host?: string;
  /** Default 0: a free port (@azure/identity and core-rest-pipeline honour ports). */
  port?: number;
  tenantId?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  workspace?: string;
  location?: string;
  /** Default: one client with a secret and a federated credential for SANDBOX_GITHUB_SUBJECT. */
  clients?: SandboxClient[];
  /** Default: `workspaceblobstore` (AccountKey, default) and `workspaceidentitystore` (None). */
  datastores?: SandboxDatastoreSpec[];
  /** An Azurite to use (left running on stop); default: one started with HTTPS and OAuth. */
  azurite?: Azurite;
  /** Folder for the started Azurite's blobs; default in memory. */
  azuriteLocation?: string;
  /** Status of "Asset paths cannot be updated" (default 409). */
  assetPathConflictStatus?: 400 | 409;
  seed?: number;
}

export interface SandboxAml {
  /** The ARM endpoint, e.g. https://127.0.0.9:40123 (the `arm-endpoint` input). */
  armEndpoint: string;
  /** The same origin: the Entra authority (the `authority-host` input). */
  authorityHost: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  /** The default client, with a secret and a federated credential. */
  clientId: string;
  clientSecret: string;
  /** A GitHub OIDC token the default client's federated credential accepts (or, changed, refuses). */
  githubIdToken(overrides?: {
    subject?: string;
    audience?: string;
    issuer?: string;
    lifetimeSeconds?: number;
  }): string;
  /** The CA certificate on disk that clients must trust (NODE_EXTRA_CA_CERTS). */
  caFile: string;
  azurite: Azurite;
  model: SandboxWorkspace;
  faults: AmlFaults;
  /** Answers 403 AuthorizationFailed to `clientId` (default: everyone) for `action`. */
  deny(action: ArmAction, clientId?: string): void;
  allow(action: ArmAction, clientId?: string): void;
  counters(): AmlCounters;
  /** The real ClientSecretCredential of the default client, signing in at this sandbox. */
  credential(): TokenCredential;
  /** Container client with the account key, for tests that look at (or tamper with) the blobs. */
  containerClient(datastore?: string): ContainerClient;
  /** The register-model inputs that point at this sandbox (sign-in with the client secret). */
  inputs(): Record<string, string>;
  stop(): Promise<void>;
}

function defaultClients(tenantId: string): SandboxClient[] {
  return [
    {
      clientId: SANDBOX_CLIENT_ID,
      tenantId,
      clientSecret: `sandbox-secret-${randomBytes(12).toString('base64url')}`,
      federatedCredentials: [
        { issuer: GITHUB_ISSUER, subject: SANDBOX_GITHUB_SUBJECT, audience: GITHUB_AUDIENCE },
      ],
    },
  ];
}

const DEFAULT_DATASTORES: SandboxDatastoreSpec[] = [
  { name: 'workspaceblobstore', credentialsType: 'AccountKey', isDefault: true },
  { name: 'workspaceidentitystore', credentialsType: 'None' },
];

function caOnDisk(ca: PemPair & { file?: string }): { path: string; cleanup(): void } {
  if (ca.file) return { path: ca.file, cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-aml-ca-'));
  writeFileSync(join(dir, 'ca.pem'), ca.cert);
  return { path: join(dir, 'ca.pem'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function createContainers(azurite: Azurite, datastores: SandboxDatastore[]): Promise<void> {
  for (const datastore of datastores) {
    const client = new ContainerClient(
      `${azurite.accountUrl}/${datastore.containerName}`,
      azurite.sharedKeyCredential(),
    );
    await client.createIfNotExists();
  }
}

export async function startSandboxAml(options: SandboxAmlOptions = {}): Promise<SandboxAml> {
  const ca = options.ca ?? (await createCertificateAuthority());
  const tenantId = options.tenantId ?? SANDBOX_TENANT_ID;
  const clients = (options.clients ?? defaultClients(tenantId)).map((c) => ({
    ...c,
    tenantId: c.tenantId ?? tenantId,
  }));
  const identity = {
    subscriptionId: options.subscriptionId ?? SANDBOX_SUBSCRIPTION_ID,
    resourceGroup: options.resourceGroup ?? SANDBOX_RESOURCE_GROUP,
    workspace: options.workspace ?? SANDBOX_WORKSPACE,
    location: options.location ?? 'sandbox',
  };

  const ownAzurite = !options.azurite;
  const azurite =
    options.azurite ??
    (await startAzurite({
      tls: await issueServerCertificate(ca, ['127.0.0.1', 'localhost']),
      oauth: true,
      location: options.azuriteLocation,
    }));
  const server = createServer();
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const workspaceGuid = randomUUID();
    const datastores: SandboxDatastore[] = (options.datastores ?? DEFAULT_DATASTORES).map((spec, index) => ({
      name: spec.name,
      credentialsType: spec.credentialsType,
      isDefault: spec.isDefault ?? false,
      accountName: azurite.accountName,
      containerName:
        index === 0
          ? `azureml-blobstore-${workspaceGuid}`
          : `azureml-${spec.name.toLowerCase()}-${workspaceGuid}`.slice(0, 63),
      endpoint: azurite.hostPort,
      protocol: azurite.protocol,
    }));
    await createContainers(azurite, datastores);
    const workspace = new SandboxWorkspace(identity, datastores);
    if (options.assetPathConflictStatus) workspace.assetPathConflictStatus = options.assetPathConflictStatus;

    const host = await listenOnLoopback(server, options.port ?? 0, options.host);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    server.setSecureContext(await issueServerCertificate(ca, [host, 'localhost']));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const origin = `https://${host}:${port}`;
    const caFile = caOnDisk(ca);
    cleanups.push(caFile.cleanup);

    const faults = new AmlFaults(options.seed ?? 1);
    const counters = emptyFrontCounters();
    const denied = new Set<string>();
    const sharedKey = azurite.sharedKeyCredential();
    server.on(
      'request',
      createAmlRequestListener({
        entra: new SandboxEntra(() => origin, clients),
        workspace,
        tenantId,
        origin: () => origin,
        faults,
        counters,
        denied,
        accountKey: azurite.accountKey,
        containerSas: (datastore, hours) =>
          generateBlobSASQueryParameters(
            {
              containerName: datastore.containerName,
              permissions: ContainerSASPermissions.parse('racwdl'),
              startsOn: new Date(Date.now() - 5 * 60_000),
              expiresOn: new Date(Date.now() + hours * 3600_000),
            },
            sharedKey,
          ).toString(),
      }),
    );

    const first = clients[0]!;
    let stopped: Promise<void> | undefined;
    return {
      armEndpoint: origin,
      authorityHost: origin,
      tenantId,
      ...identity,
      clientId: first.clientId,
      clientSecret: first.clientSecret ?? '',
      githubIdToken: (overrides = {}) => githubIdToken({ subject: SANDBOX_GITHUB_SUBJECT, ...overrides }),
      caFile: caFile.path,
      azurite,
      model: workspace,
      faults,
      deny: (action, clientId = '*') => void denied.add(`${clientId}|${action}`),
      allow: (action, clientId = '*') => void denied.delete(`${clientId}|${action}`),
      counters: () => ({ ...counters, conflicts: workspace.conflicts }),
      credential: () =>
        new ClientSecretCredential(tenantId, first.clientId, first.clientSecret ?? '', {
          authorityHost: origin,
          disableInstanceDiscovery: true,
        }),
      containerClient: (name) => {
        const datastore = name
          ? workspace.datastore(name)
          : (datastores.find((d) => d.isDefault) ?? datastores[0]!);
        return new ContainerClient(
          `${azurite.accountUrl}/${datastore.containerName}`,
          azurite.sharedKeyCredential(),
        );
      },
      inputs: () => ({
        'subscription-id': identity.subscriptionId,
        'resource-group': identity.resourceGroup,
        workspace: identity.workspace,
        'arm-endpoint': origin,
        'authority-host': origin,
        'tenant-id': tenantId,
        'client-id': first.clientId,
        'client-secret': first.clientSecret ?? '',
      }),
      stop() {
        stopped ??= (async () => {
          faults.clear();
          server.closeAllConnections();
          for (const cleanup of cleanups.reverse()) await cleanup();
          if (ownAzurite) await azurite.stop();
        })();
        return stopped;
      },
    };
  } catch (error) {
    server.closeAllConnections();
    for (const cleanup of cleanups.reverse()) await cleanup();
    if (ownAzurite) await azurite.stop();
    throw error;
  }
}
