// The hub client from the rollout's inputs: a connection string (shared access policy), or a host name
// with Entra ID — GitHub OIDC (a fresh ID token for every assertion), a client secret, or the default
// Azure credentials outside Actions. Neither given is an input error naming both ways.
import { createAzureCredential } from '../azure/credentials.js';
import type { Logger } from '../logger.js';
import { RolloutInputError } from './problems.js';
import type { RolloutClock } from './engine-types.js';
import type { HubClient } from './hub-client.js';
import { SdkHubClient } from './sdk-hub-client.js';

export interface HubConnectionInputs {
  connectionString?: string;
  hostName?: string;
  clientId?: string;
  tenantId?: string;
  clientSecret?: string;
  audience?: string;
  authorityHost?: string;
}

export interface ConnectDeps {
  clock: RolloutClock;
  logger: Logger;
  /** GitHub's OIDC token source (absent outside Actions). */
  getIdToken?: (audience: string) => Promise<string>;
}

export function connectHub(inputs: HubConnectionInputs, deps: ConnectDeps): HubClient {
  const options = {
    sleep: (ms: number) => deps.clock.sleep(ms),
    now: () => deps.clock.now(),
    logger: deps.logger,
  };
  const connectionString = inputs.connectionString?.trim();
  const hostName = inputs.hostName?.trim();
  if (connectionString && hostName) {
    deps.logger.info(
      'Both iothub-connection-string and iothub-host-name are set: the connection string is used.',
    );
  }
  if (connectionString) return SdkHubClient.fromConnectionString(connectionString, options);
  if (hostName) {
    const credential = createAzureCredential({
      ...(inputs.tenantId ? { tenantId: inputs.tenantId } : {}),
      ...(inputs.clientId ? { clientId: inputs.clientId } : {}),
      ...(inputs.clientSecret ? { clientSecret: inputs.clientSecret } : {}),
      ...(inputs.audience ? { audience: inputs.audience } : {}),
      ...(inputs.authorityHost ? { authorityHost: inputs.authorityHost } : {}),
      ...(deps.getIdToken ? { getIdToken: deps.getIdToken } : {}),
      logger: deps.logger,
    });
    return SdkHubClient.fromTokenCredential(hostName, credential, options);
  }
  throw new RolloutInputError('iothub-host-name', [
    {
      path: '(root)',
      message: 'no IoT Hub to roll out to: neither iothub-host-name nor iothub-connection-string is set',
      fix: 'set iothub-host-name (myhub.azure-devices.net) and sign in with Entra ID (client-id and tenant-id with GitHub OIDC, id-token: write), or set iothub-connection-string from a secret',
    },
  ]);
}
