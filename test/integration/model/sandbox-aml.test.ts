// The sandbox Azure ML endpoint over real HTTPS: the Entra stand-in (OpenID configuration, tokens for
// the real credentials), ARM's gates and error bodies, listSecrets handing out a SAS that Azurite
// accepts, and Azurite's own start and stop.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ClientSecretCredential } from '@azure/identity';
import { ContainerClient } from '@azure/storage-blob';
import { decodeJwt } from '../../../src/sandbox/aml/jwt.js';
import { startAzurite, type SandboxAml } from '../../../src/sandbox/aml/index.js';
import { secretCredential, startTestAml } from './support.js';

/** The fields these tests read from ARM answers. */
interface JsonBody {
  error: { code: string; message: string };
  value: Record<string, unknown>[];
  properties: Record<string, unknown>;
  sasToken?: string;
  [key: string]: unknown;
}

let sandbox: SandboxAml;
let token: string;
let base: string;

async function arm(
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; apiVersion?: string | null } = {},
) {
  const url = new URL(`${sandbox.armEndpoint}${path}`);
  const apiVersion = options.apiVersion === undefined ? '2024-10-01' : options.apiVersion;
  if (apiVersion) url.searchParams.set('api-version', apiVersion);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const bearer = options.token === undefined ? token : options.token;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as JsonBody) : undefined,
  };
}

beforeAll(async () => {
  sandbox = await startTestAml();
  token = (await secretCredential(sandbox).getToken(`${sandbox.armEndpoint}/.default`))!.token;
  base = `/subscriptions/${sandbox.subscriptionId}/resourceGroups/${sandbox.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${sandbox.workspace}`;
});
afterAll(async () => sandbox?.stop());

describe('Entra stand-in', () => {
  test('the OpenID configuration MSAL reads names the token endpoint on the same origin', async () => {
    const response = await fetch(
      `${sandbox.authorityHost}/${sandbox.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    const config = (await response.json()) as Record<string, string>;
    expect(config.token_endpoint).toBe(`${sandbox.authorityHost}/${sandbox.tenantId}/oauth2/v2.0/token`);
    expect(config.issuer).toBe(`${sandbox.authorityHost}/${sandbox.tenantId}/v2.0`);
  });

  test('tokens name the resource of the scope, the tenant and the client', async () => {
    const storage = await secretCredential(sandbox).getToken('https://storage.azure.com/.default');
    expect(decodeJwt(storage!.token)).toMatchObject({
      aud: 'https://storage.azure.com',
      iss: `https://sts.windows.net/${sandbox.tenantId}/`,
      appid: sandbox.clientId,
      tid: sandbox.tenantId,
    });
    expect(decodeJwt(token)).toMatchObject({ aud: sandbox.armEndpoint });
  });

  test('a wrong secret gets AADSTS7000215 from the real credential', async () => {
    const credential = new ClientSecretCredential(sandbox.tenantId, sandbox.clientId, 'not-it', {
      authorityHost: sandbox.authorityHost,
      disableInstanceDiscovery: true,
    });
    await expect(credential.getToken(`${sandbox.armEndpoint}/.default`)).rejects.toThrow(/AADSTS7000215/);
  });

  test('the token endpoint answers OAuth errors', async () => {
    const response = await fetch(`${sandbox.authorityHost}/${sandbox.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sandbox.clientId,
        scope: 'x/.default',
      }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client', error_codes: [7000216] });
  });
});

describe('ARM gates and error bodies', () => {
  test.each<[string, { token?: string | null; apiVersion?: string | null }, number, string]>([
    ['no Authorization header', { token: null }, 401, 'AuthenticationFailed'],
    ['a token that is not a JWT', { token: 'abc' }, 401, 'InvalidAuthenticationToken'],
    ['no api-version', { apiVersion: null }, 400, 'MissingApiVersionParameter'],
    ['an unknown api-version', { apiVersion: '2019-01-01' }, 400, 'InvalidApiVersionParameter'],
  ])('%s (%j) → %d %s', async (_what, options, status, code) => {
    const response = await arm('GET', `${base}/datastores`, options);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
  });

  test('a token for another audience is refused', async () => {
    const storage = (await secretCredential(sandbox).getToken('https://storage.azure.com/.default'))!.token;
    const response = await arm('GET', base, { token: storage });
    expect(response.status).toBe(401);
    expect(response.body?.error.message).toMatch(
      /wrong audience or resource 'https:\/\/storage\.azure\.com'/,
    );
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer authorization_uri=/);
  });

  test.each([
    [
      '/subscriptions/5a4d1b7e-0000-4000-8000-0000000000ff/resourceGroups/x/providers/Microsoft.MachineLearningServices/workspaces/y',
      'SubscriptionNotFound',
    ],
    ['RG', 'ResourceGroupNotFound'],
    ['WS', 'ResourceNotFound'],
    ['UNKNOWN_TYPE', 'InvalidResourceType'],
  ])('404 for %s: %s', async (path, code) => {
    const resolved =
      path === 'RG'
        ? base.replace(sandbox.resourceGroup, 'nope')
        : path === 'WS'
          ? base.replace(`workspaces/${sandbox.workspace}`, 'workspaces/nope')
          : path === 'UNKNOWN_TYPE'
            ? `${base}/computes/cpu`
            : path;
    const response = await arm('GET', resolved);
    expect(response.status).toBe(404);
    expect(response.body?.error.code).toBe(code);
  });

  test('resource names and path segments are case-insensitive', async () => {
    const response = await arm(
      'GET',
      base.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') + '/DataStores',
    );
    expect(response.status).toBe(200);
  });

  test('the default datastore, and model versions with the service status codes', async () => {
    const datastores = await arm('GET', `${base}/datastores?isDefault=true`);
    expect(datastores.body?.value).toHaveLength(1);
    const datastore = datastores.body!.value[0];
    expect(datastore).toMatchObject({
      name: 'workspaceblobstore',
      properties: {
        datastoreType: 'AzureBlob',
        isDefault: true,
        credentials: { credentialsType: 'AccountKey' },
      },
    });
    expect((await arm('GET', `${base}/models/raw`)).status).toBe(404);
    const uri = (p: string) =>
      `azureml://subscriptions/${sandbox.subscriptionId}/resourcegroups/${sandbox.resourceGroup}/workspaces/${sandbox.workspace}/datastores/workspaceblobstore/paths/${p}`;
    expect(
      (await arm('PUT', `${base}/models/raw/versions/1`, { body: { properties: { modelUri: uri('a') } } }))
        .status,
    ).toBe(201);
    expect(
      (
        await arm('PUT', `${base}/models/raw/versions/1`, {
          body: { properties: { modelUri: uri('a'), tags: { k: 'v' } } },
        })
      ).status,
    ).toBe(200);
    const conflict = await arm('PUT', `${base}/models/raw/versions/1`, {
      body: { properties: { modelUri: uri('b') } },
    });
    expect(conflict).toMatchObject({
      status: 409,
      body: { error: { code: 'UserError', message: 'Asset paths cannot be updated.' } },
    });
    expect((await arm('GET', `${base}/models/raw`)).body?.properties).toMatchObject({
      latestVersion: '1',
      nextVersion: '2',
    });
    expect((await arm('PUT', `${base}/models/raw/versions/2`, { body: 'not an object' })).status).toBe(400);
    expect((await arm('PATCH', `${base}/models/raw/versions/1`)).status).toBe(405);
  });
});

describe('listSecrets', () => {
  test('with the expiry body: a container SAS that Azurite accepts; without: the account key', async () => {
    const secrets = await arm('POST', `${base}/datastores/workspaceblobstore/listSecrets`, {
      body: { expirableSecret: true, expireAfterHours: 1 },
    });
    expect(secrets.body).toMatchObject({ secretsType: 'Sas', sasToken: expect.stringContaining('sig=') });
    const sas = secrets.body!.sasToken as string;
    expect(new URLSearchParams(sas).get('sr')).toBe('c');
    const datastore = (await arm('GET', `${base}/datastores/workspaceblobstore`)).body!.properties;
    const container = new ContainerClient(`${sandbox.azurite.accountUrl}/${datastore.containerName}?${sas}`);
    await container.getBlockBlobClient('probe.txt').uploadData(Buffer.from('ok'));
    expect((await container.getBlobClient('probe.txt').downloadToBuffer()).toString()).toBe('ok');

    const key = await arm('POST', `${base}/datastores/workspaceblobstore/listSecrets`);
    expect(key.body).toEqual({ secretsType: 'AccountKey', key: sandbox.azurite.accountKey });
    const bad = await arm('POST', `${base}/datastores/workspaceblobstore/listSecrets`, {
      body: { expirableSecret: true, expireAfterHours: 0 },
    });
    expect(bad.status).toBe(400);
    expect(
      (
        await arm('POST', `${base}/datastores/workspaceidentitystore/listSecrets`, {
          body: { expirableSecret: true },
        })
      ).status,
    ).toBe(400);
  });

  test('a denied action is 403 AuthorizationFailed naming the action', async () => {
    sandbox.deny('workspaces/datastores/listsecrets/action', sandbox.clientId);
    try {
      const response = await arm('POST', `${base}/datastores/workspaceblobstore/listSecrets`, { body: {} });
      expect(response.status).toBe(403);
      expect(response.body?.error).toMatchObject({
        code: 'AuthorizationFailed',
        message: expect.stringContaining(
          "'Microsoft.MachineLearningServices/workspaces/datastores/listsecrets/action'",
        ),
      });
    } finally {
      sandbox.allow('workspaces/datastores/listsecrets/action', sandbox.clientId);
    }
  });
});

describe('faults', () => {
  test('a throttle rule answers 429 with Retry-After, then lets requests through', async () => {
    sandbox.faults.add({ fault: 'throttle', path: '**/datastores', retryAfterSeconds: 7, times: 1 });
    const throttled = await arm('GET', `${base}/datastores`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.body?.error.code).toBe('TooManyRequests');
    expect((await arm('GET', `${base}/datastores`)).status).toBe(200);
  });
});

describe('Azurite', () => {
  test('starts on a free port over plain HTTP too, and stops', async () => {
    const azurite = await startAzurite();
    try {
      expect(azurite.blobEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const container = new ContainerClient(`${azurite.accountUrl}/plain`, azurite.sharedKeyCredential());
      await container.create();
      expect(await container.exists()).toBe(true);
    } finally {
      await azurite.stop();
    }
    await expect(fetch(azurite.blobEndpoint)).rejects.toThrow();
  });

  test('refuses OAuth without TLS', async () => {
    await expect(startAzurite({ oauth: true })).rejects.toThrow(/OAuth tokens over HTTPS only/);
  });
});
