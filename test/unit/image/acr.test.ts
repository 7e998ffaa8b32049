// Azure Container Registry paths against the sandbox ACR over real HTTPS, with the real
// @azure/identity client-secret credential signing in at the sandbox's Entra stand-in: the
// devices' repository-scoped pull token (ARM: scope maps, tokens, generateCredentials), the Entra →
// ACR refresh-token exchange, and the registry reader's bearer-token authentication.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ClientSecretCredential } from '@azure/identity';
import { acrCredentialsFromEntra, tenantOfToken } from '../../../src/image/acr-login.js';
import {
  chooseSlot,
  devicePullTokenName,
  DevicePullTokenError,
  ensureDevicePullToken,
  type DevicePullTokenOptions,
} from '../../../src/image/acr-tokens.js';
import { createRegistryClient } from '../../../src/image/registry-client.js';
import { TOKEN_USERNAME } from '../../../src/image/registry-login.js';
import { memoryLogger } from '../../../src/logger.js';
import { startSandboxAcr, type SandboxAcr } from '../../../src/sandbox/acr/index.js';
import { testCertificateAuthority } from '../../support/sandbox.js';

const REPOSITORY = 'vision/model';
const INDEX = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };

let acr: SandboxAcr;
let syncAcr: SandboxAcr;

beforeAll(async () => {
  const ca = testCertificateAuthority();
  [acr, syncAcr] = await Promise.all([
    startSandboxAcr({ ca }),
    startSandboxAcr({ ca, asyncOperations: false }),
  ]);
  acr.registry.putManifest(REPOSITORY, '1.0.0', INDEX);
  acr.registry.putManifest('other/repo', '1.0.0', INDEX);
});
afterAll(async () => {
  await Promise.all([acr?.stop(), syncAcr?.stop()]);
});

function credential(sandbox: SandboxAcr, clientId = sandbox.clientId) {
  return new ClientSecretCredential(sandbox.tenantId, clientId, sandbox.clientSecret, {
    authorityHost: sandbox.authorityHost,
    disableInstanceDiscovery: true,
  });
}

function tokenOptions(
  sandbox: SandboxAcr,
  overrides: Partial<DevicePullTokenOptions> = {},
): DevicePullTokenOptions & { masked: string[] } {
  const masked: string[] = [];
  return {
    armEndpoint: sandbox.armEndpoint,
    subscriptionId: sandbox.subscriptionId,
    resourceGroup: sandbox.resourceGroup,
    registryName: sandbox.registryName,
    loginServer: sandbox.loginServer,
    repository: REPOSITORY,
    credential: credential(sandbox),
    logger: memoryLogger(),
    mask: (secret) => void masked.push(secret),
    sleep: async () => undefined,
    masked,
    ...overrides,
  };
}

describe('device pull token (ARM)', () => {
  test('is created with a pull-only scope map, and its password pulls but cannot push', async () => {
    const options = tokenOptions(acr);
    const device = await ensureDevicePullToken(options);
    const name = devicePullTokenName(REPOSITORY);
    expect(device).toMatchObject({ address: acr.loginServer, username: name, slot: 'password1' });
    expect(options.masked).toContain(device.password);
    expect(acr.registry.scopeMaps.get(name)?.actions).toEqual([
      `repositories/${REPOSITORY}/content/read`,
      `repositories/${REPOSITORY}/metadata/read`,
    ]);
    // The service's asynchronous answers were followed: 201 + Azure-AsyncOperation, 202 + Location.
    expect(acr.log.filter((l) => l.status === 201).length).toBe(2);
    expect(acr.log.some((l) => l.status === 202 && l.path.endsWith('/generateCredentials'))).toBe(true);

    const devices = createRegistryClient({
      registry: acr.loginServer,
      credentials: { username: device.username, password: device.password },
    });
    expect((await devices.getManifest(REPOSITORY, '1.0.0')).mediaType).toBe(INDEX.mediaType);
    await expect(devices.checkPushAccess(REPOSITORY)).rejects.toThrow(
      /refused user 'edge-pull-vision-model' for repository:vision\/model:pull,push \(401\)/,
    );
    await expect(devices.getManifest('other/repo', '1.0.0')).rejects.toThrow(/refused user/);
  });

  test('is reused, and each run renews the older password so the newest keeps working', async () => {
    const first = await ensureDevicePullToken(tokenOptions(acr, { repository: 'rotate/me' }));
    const writes = acr.counters.scopeMapWrites + acr.counters.tokenWrites;
    const second = await ensureDevicePullToken(tokenOptions(acr, { repository: 'rotate/me' }));
    expect(acr.counters.scopeMapWrites + acr.counters.tokenWrites).toBe(writes);
    expect([first.slot, second.slot]).toEqual(['password1', 'password2']);
    const third = await ensureDevicePullToken(tokenOptions(acr, { repository: 'rotate/me' }));
    expect(third.slot).toBe('password1');
    const check = (password: string) =>
      acr.registry.tokenPrincipal(devicePullTokenName('rotate/me'), password);
    expect(typeof check(second.password)).toBe('object');
    expect(typeof check(third.password)).toBe('object');
    expect(check(first.password)).toBe('wrong password');
  });

  test('a disabled token is re-enabled with PATCH, keeping its other password', async () => {
    const first = await ensureDevicePullToken(tokenOptions(acr, { repository: 'disabled/one' }));
    acr.registry.tokens.get(devicePullTokenName('disabled/one'))!.status = 'disabled';
    const second = await ensureDevicePullToken(tokenOptions(acr, { repository: 'disabled/one' }));
    expect(acr.log.some((l) => l.method === 'PATCH')).toBe(true);
    expect(typeof acr.registry.tokenPrincipal(devicePullTokenName('disabled/one'), first.password)).toBe(
      'object',
    );
    expect(second.slot).toBe('password2');
  });

  test('a scope map with other actions is rewritten', async () => {
    acr.registry.scopeMaps.set(devicePullTokenName('drift/repo'), {
      name: devicePullTokenName('drift/repo'),
      actions: ['repositories/drift/repo/content/write'],
      creationDate: new Date().toISOString(),
      pendingPolls: 0,
    });
    await ensureDevicePullToken(tokenOptions(acr, { repository: 'drift/repo' }));
    expect(acr.registry.scopeMaps.get(devicePullTokenName('drift/repo'))?.actions).toEqual([
      'repositories/drift/repo/content/read',
      'repositories/drift/repo/metadata/read',
    ]);
  });

  test('the synchronous answers (200/201 Succeeded) work too', async () => {
    const device = await ensureDevicePullToken(tokenOptions(syncAcr));
    expect(device.slot).toBe('password1');
    expect(syncAcr.log.some((l) => l.status === 202)).toBe(false);
  });

  test('throttling (429 with Retry-After) is retried', async () => {
    acr.fail(429, 2, /generateCredentials/);
    const device = await ensureDevicePullToken(tokenOptions(acr, { repository: 'throttled/repo' }));
    expect(device.password).toBeTruthy();
    expect(acr.log.filter((l) => l.status === 429).length).toBe(2);
  });

  test('a missing role says which permission to grant', async () => {
    const sandbox = await startSandboxAcr({ ca: testCertificateAuthority() });
    try {
      sandbox.deny('tokens/write');
      await expect(
        ensureDevicePullToken(tokenOptions(sandbox, { identity: 'The identity with client-id x' })),
      ).rejects.toThrow(
        /The identity with client-id x may not manage tokens of registry edgesandbox \(AuthorizationFailed: .*tokens\/write.*\)\. Grant it a role/,
      );
    } finally {
      await sandbox.stop();
    }
  });

  test('a registry that does not exist is named', async () => {
    const error = await ensureDevicePullToken(tokenOptions(acr, { registryName: 'nosuchregistry' })).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(DevicePullTokenError);
    expect((error as Error).message).toMatch(
      /Registry nosuchregistry was not found in resource group edge-sandbox-rg/,
    );
  });

  test.each<[string, Array<{ name: string; creationTime?: string }>, string]>([
    ['no password yet', [], 'password1'],
    ['password1 only', [{ name: 'password1', creationTime: '2026-01-01T00:00:00Z' }], 'password2'],
    ['password2 only', [{ name: 'password2' }], 'password1'],
    [
      'password1 older',
      [
        { name: 'password1', creationTime: '2026-01-01T00:00:00Z' },
        { name: 'password2', creationTime: '2026-02-01T00:00:00Z' },
      ],
      'password1',
    ],
    [
      'password2 older',
      [
        { name: 'password1', creationTime: '2026-03-01T00:00:00Z' },
        { name: 'password2', creationTime: '2026-02-01T00:00:00Z' },
      ],
      'password2',
    ],
    ['no creation times', [{ name: 'password1' }, { name: 'password2' }], 'password1'],
  ])('renews the right slot: %s', (_name, passwords, slot) => {
    expect(chooseSlot(passwords)).toBe(slot);
  });

  test('token names fit ACR rules', () => {
    expect(devicePullTokenName('vision/model')).toBe('edge-pull-vision-model');
    const long = devicePullTokenName(`team/${'very-long-name-'.repeat(6)}`);
    expect(long).toMatch(/^edge-pull-team-very-long-name-[a-z0-9-]*-[0-9a-f]{8}$/);
    expect(long.length).toBeLessThanOrEqual(50);
  });
});

describe('Entra → ACR refresh token, and the registry reader with bearer tokens', () => {
  test('an AcrPush identity signs in without an admin user and may push', async () => {
    const masked: string[] = [];
    const credentials = await acrCredentialsFromEntra({
      registry: acr.loginServer,
      credential: credential(acr),
      armEndpoint: acr.armEndpoint,
      mask: (s) => void masked.push(s),
    });
    expect(credentials.username).toBe(TOKEN_USERNAME);
    expect(masked).toContain(credentials.password);
    expect(masked.length).toBe(2); // the Entra token and the refresh token
    expect(acr.counters.exchanges).toBeGreaterThan(0);
    const client = createRegistryClient({ registry: acr.loginServer, credentials });
    await expect(client.checkLogin()).resolves.toBeUndefined();
    await expect(client.checkPushAccess(REPOSITORY)).resolves.toBeUndefined();
    expect(await client.resolve(REPOSITORY, '1.0.0')).toMatch(/^sha256:/);
    expect(await client.resolve(REPOSITORY, 'nope')).toBeUndefined();
  });

  test('an AcrPull identity signs in, but may not push', async () => {
    const credentials = await acrCredentialsFromEntra({
      registry: acr.loginServer,
      credential: credential(acr, acr.pullClientId),
      armEndpoint: acr.armEndpoint,
      mask: () => undefined,
    });
    const client = createRegistryClient({ registry: acr.loginServer, credentials });
    await expect(client.getManifest(REPOSITORY, '1.0.0')).resolves.toMatchObject({
      mediaType: INDEX.mediaType,
    });
    await expect(client.checkPushAccess(REPOSITORY)).rejects.toThrow(
      /refused user '00000000-0000-0000-0000-000000000000' for repository:vision\/model:pull,push/,
    );
  });

  test('a token for another audience is refused, with the role to grant', async () => {
    const wrongAudience = {
      getToken: async () => credential(acr).getToken('https://storage.azure.com/.default'),
    };
    await expect(
      acrCredentialsFromEntra({
        registry: acr.loginServer,
        credential: wrongAudience,
        armEndpoint: acr.armEndpoint,
        mask: () => undefined,
      }),
    ).rejects.toThrow(/refused the Entra token exchange \(401: .*wrong audience.*AcrPush role/s);
  });

  test('the tenant comes from the token', async () => {
    const token = await credential(acr).getToken(`${acr.armEndpoint}/.default`);
    expect(tenantOfToken(token!.token)).toBe(acr.tenantId);
    expect(tenantOfToken('not-a-jwt')).toBeUndefined();
  });

  test('no or wrong credentials are named', async () => {
    await expect(
      createRegistryClient({ registry: acr.loginServer }).getManifest(REPOSITORY, '1.0.0'),
    ).rejects.toThrow(
      /needs credentials for repository:vision\/model:pull: give registry-username and registry-password/,
    );
    await expect(
      createRegistryClient({
        registry: acr.loginServer,
        credentials: { username: TOKEN_USERNAME, password: 'stale' },
      }).checkLogin(),
    ).rejects.toThrow(/refused the credentials of user '00000000-0000-0000-0000-000000000000'/);
    await expect(
      createRegistryClient({
        registry: acr.loginServer,
        credentials: { username: TOKEN_USERNAME, password: 'stale' },
      }).getManifest(REPOSITORY, '1.0.0'),
    ).rejects.toThrow(
      /refused the credentials of user '00000000-0000-0000-0000-000000000000' \(token service answered 401: authentication required: unknown refresh token\)/,
    );
  });
});
