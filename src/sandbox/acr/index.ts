// A sandbox Azure Container Registry for tests: one HTTPS origin that is the ARM endpoint, the Entra
// authority host (the real @azure/identity credentials sign in against it) and the registry's login
// server. Tests point the device-pull-token code (ARM), the Entra → ACR exchange and the registry
// reader (bearer-token auth) at it.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:https';
import { listenOnLoopback } from '../loopback.js';
import { createCertificateAuthority, issueServerCertificate, type PemPair } from '../tls.js';
import { SandboxEntra, type SandboxClient } from '../aml/entra.js';
import { SandboxRegistry } from './registry-model.js';
import {
  createAcrRequestListener,
  emptyAcrCounters,
  type AcrArmAction,
  type AcrCounters,
  type AcrFault,
} from './server.js';

export { SandboxRegistry } from './registry-model.js';
export { NULL_GUID, type AcrArmAction, type AcrCounters } from './server.js';

export const ACR_SANDBOX_TENANT_ID = '5a4d1b7e-0000-4000-8000-0000000ac001';
export const ACR_SANDBOX_SUBSCRIPTION_ID = '5a4d1b7e-0000-4000-8000-0000000ac002';
export const ACR_SANDBOX_CLIENT_ID = '5a4d1b7e-0000-4000-8000-0000000ac003';
/** A second client that has the AcrPull role only. */
export const ACR_SANDBOX_PULL_CLIENT_ID = '5a4d1b7e-0000-4000-8000-0000000ac004';

export interface SandboxAcrOptions {
  /** CA that signs the endpoint's certificate (clients must trust it: NODE_EXTRA_CA_CERTS). */
  ca?: PemPair;
  host?: string;
  resourceGroup?: string;
  registryName?: string;
  /** Creates answer 201 + Azure-AsyncOperation, generateCredentials 202 + Location (default true). */
  asyncOperations?: boolean;
}

export interface SandboxAcr {
  /** ARM endpoint and Entra authority host (the same origin). */
  armEndpoint: string;
  authorityHost: string;
  /** The registry's login server: host:port. */
  loginServer: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  registryName: string;
  /** A client with a secret and the AcrPush role. */
  clientId: string;
  clientSecret: string;
  /** A client with a secret and the AcrPull role only. */
  pullClientId: string;
  registry: SandboxRegistry;
  counters: AcrCounters;
  log: Array<{ method: string; path: string; status: number }>;
  /** 403 AuthorizationFailed for `action` (to `clientId`, default everyone). */
  deny(action: AcrArmAction, clientId?: string): void;
  /** The next `count` requests (matching `match`) answer `status`. */
  fail(status: number, count?: number, match?: RegExp): void;
  stop(): Promise<void>;
}

export async function startSandboxAcr(options: SandboxAcrOptions = {}): Promise<SandboxAcr> {
  const tenantId = ACR_SANDBOX_TENANT_ID;
  const clientSecret = randomBytes(18).toString('base64url');
  const clients: Array<SandboxClient & { tenantId: string }> = [
    { clientId: ACR_SANDBOX_CLIENT_ID, clientSecret, tenantId },
    { clientId: ACR_SANDBOX_PULL_CLIENT_ID, clientSecret, tenantId },
  ];
  const ca = options.ca ?? (await createCertificateAuthority('ml-to-iot-edge sandbox ACR CA', 1));
  const server = createServer();
  const host = await listenOnLoopback(server, 0, options.host);
  const port = (server.address() as { port: number }).port;
  const origin = `https://${host}:${port}`;
  const pem = await issueServerCertificate(ca, [host, 'localhost']);
  server.setSecureContext({ cert: pem.cert, key: pem.key });

  const registry = new SandboxRegistry();
  const counters = emptyAcrCounters();
  const denied = new Set<string>();
  const faults: AcrFault[] = [];
  const log: SandboxAcr['log'] = [];
  const resourceGroup = options.resourceGroup ?? 'edge-sandbox-rg';
  const registryName = options.registryName ?? 'edgesandbox';
  server.on(
    'request',
    createAcrRequestListener({
      registry,
      entra: new SandboxEntra(() => origin, clients),
      tenantId,
      subscriptionId: ACR_SANDBOX_SUBSCRIPTION_ID,
      resourceGroup,
      registryName,
      origin: () => origin,
      roles: new Map([
        [ACR_SANDBOX_CLIENT_ID, 'push'],
        [ACR_SANDBOX_PULL_CLIENT_ID, 'pull'],
      ]),
      denied,
      asyncOperations: options.asyncOperations ?? true,
      faults,
      counters,
      log,
    }),
  );
  let stopped: Promise<void> | undefined;
  return {
    armEndpoint: origin,
    authorityHost: origin,
    loginServer: `${host}:${port}`,
    tenantId,
    subscriptionId: ACR_SANDBOX_SUBSCRIPTION_ID,
    resourceGroup,
    registryName,
    clientId: ACR_SANDBOX_CLIENT_ID,
    clientSecret,
    pullClientId: ACR_SANDBOX_PULL_CLIENT_ID,
    registry,
    counters,
    log,
    deny: (action, clientId = '*') => void denied.add(`${clientId}|${action}`),
    fail: (status, count = 1, match) => void faults.push({ status, remaining: count, match }),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
