// The whole Entra ID path with nothing faked in between: GitHub OIDC through createAzureCredential and
// MSAL to a local Entra ID stand-in, whose access tokens the sandbox hub trusts, then SdkHubClient
// on the real SDK with Registry.fromTokenCredential, plus testQueries with the same bearer token.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createAzureCredential } from '../../../src/azure/credentials.js';
import { memoryLogger } from '../../../src/logger.js';
import type { NewDeployment } from '../../../src/rollout/hub-client.js';
import { SdkHubClient } from '../../../src/rollout/sdk-hub-client.js';
import type { SandboxHub } from '../../../src/sandbox/index.js';
import { edgeContent } from '../../support/edge-deployments.js';
import { startTestHub } from '../../support/sandbox.js';
import { hubAccessToken, jwt } from '../../support/tokens.js';
import { startTokenEndpoint, type TokenEndpoint } from '../../unit/azure/token-endpoint.js';
import { expectNoSecrets } from './secrets.js';

let hub: SandboxHub;
let entra: TokenEndpoint;
const issuedAccessTokens: string[] = [];
const issuedIdTokens: string[] = [];

beforeAll(async () => {
  hub = await startTestHub({ devices: 'canary=3', throttle: false, timeScale: 600 });
  entra = await startTokenEndpoint({
    accessToken: (n) => {
      const token = hubAccessToken({ oid: `github-oidc-${n}` });
      issuedAccessTokens.push(token);
      return token;
    },
  });
});

afterAll(async () => {
  await hub.stop();
  await entra.stop();
});

test('GitHub OIDC → Entra ID → IoT Hub: deployments and testQueries with bearer tokens', async () => {
  const logger = memoryLogger();
  const credential = createAzureCredential({
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    clientId: '11111111-2222-3333-4444-555555555555',
    getIdToken: async (audience) => {
      const token = jwt({
        iss: 'https://token.actions.githubusercontent.com',
        sub: 'repo:octo/app:environment:prod',
        aud: audience,
        jti: String(issuedIdTokens.length),
      });
      issuedIdTokens.push(token);
      return token;
    },
    authorityHost: entra.authorityHost,
    disableInstanceDiscovery: true,
    logger,
  });
  const client = SdkHubClient.fromTokenCredential(hub.hostName, credential, {
    sleep: (ms) => hub.clock.sleep(ms),
    now: () => hub.clock.now(),
    logger,
  });
  const deployment: NewDeployment = {
    id: 'oidc-1_0_0',
    labels: { app: 'oidc' },
    content: edgeContent('registry.local/oidc:1') as NewDeployment['content'],
    targetCondition: "tags.ring='canary'",
    priority: 1,
  };
  const created = await client.createDeployment(deployment);
  expect(await client.updateDeployment(created, { priority: 2 })).toMatchObject({ priority: 2 });
  expect(await client.testQueries("tags.ring='canary'")).toEqual({
    targetConditionError: '',
    customMetricQueryErrors: {},
  });
  expect(await client.query('SELECT COUNT() AS n FROM devices')).toEqual([{ n: 3 }]);
  expect(entra.requests.length).toBeGreaterThanOrEqual(1);
  expect(logger.lines).toContain(
    "GitHub OIDC token: issuer 'https://token.actions.githubusercontent.com', subject 'repo:octo/app:environment:prod', audience 'api://AzureADTokenExchange'",
  );
  expectNoSecrets(logger.lines, [...issuedAccessTokens, ...issuedIdTokens]);
});
