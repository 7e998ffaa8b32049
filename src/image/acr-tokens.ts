// Pull credentials for devices: an Azure Container Registry repository-scoped token, created or
// reused through ARM, whose scope map allows only reading the model's repository
// (`repositories/<repo>/content/read` and `metadata/read`). Each run generates a fresh password in
// the token's OLDER slot (password1/password2), so the newest password — the one the devices of
// the previous release hold — keeps working while this release rolls out. Devices never get the
// CI's push identity.
import { createHash } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { createDefaultHttpClient, type HttpClient, type HttpHeaders } from '@azure/core-rest-pipeline';
import { ArmError, createArmClient, type ArmClient } from '../azure/arm-client.js';
import type { Logger } from '../logger.js';

/** Microsoft.ContainerRegistry api-version of scope maps, tokens and generateCredentials (stable). */
export const ACR_API_VERSION = '2023-07-01';
/** How long a generated device password is valid. */
export const DEVICE_PASSWORD_DAYS = 365;
const NAME_MAX = 50;

export type PasswordSlot = 'password1' | 'password2';

export interface TokenPasswordInfo {
  name?: string;
  creationTime?: string;
  expiry?: string;
}

export interface DevicePullCredential {
  /** Registry login server (the manifest's `registryCredentials.<id>.address`). */
  address: string;
  username: string;
  password: string;
  /** The token's ARM id and the slot this run generated. */
  tokenId: string;
  slot: PasswordSlot;
  expiry: string;
}

export class DevicePullTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevicePullTokenError';
  }
}

/**
 * The token (and scope map) name for a repository: `edge-pull-<repository>` with `/` as `-`, at
 * most 50 characters of letters, digits, `-` and `_` (a hash keeps long names apart).
 */
export function devicePullTokenName(repository: string): string {
  const slug = repository.replace(/[^a-zA-Z0-9_-]+/g, '-');
  const name = `edge-pull-${slug}`;
  if (name.length <= NAME_MAX) return name;
  const hash = createHash('sha256').update(repository).digest('hex').slice(0, 8);
  return `${name.slice(0, NAME_MAX - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** The scope map actions for pulling one repository. */
export function pullActions(repository: string): string[] {
  return [`repositories/${repository}/content/read`, `repositories/${repository}/metadata/read`];
}

/**
 * The slot to (re)generate: a missing one first, else the older one (by creation time; a slot with
 * no creation time counts as oldest), so the newest password stays valid.
 */
export function chooseSlot(passwords: readonly TokenPasswordInfo[]): PasswordSlot {
  const slots: PasswordSlot[] = ['password1', 'password2'];
  const present = new Map(passwords.filter((p) => p.name).map((p) => [p.name!, p] as const));
  const missing = slots.find((slot) => !present.has(slot));
  if (missing) return missing;
  const time = (slot: PasswordSlot): number => Date.parse(present.get(slot)?.creationTime ?? '') || 0;
  return time('password2') < time('password1') ? 'password2' : 'password1';
}

interface ScopeMap {
  id?: string;
  properties?: { actions?: string[]; provisioningState?: string };
}

interface Token {
  id?: string;
  properties?: {
    scopeMapId?: string;
    status?: string;
    provisioningState?: string;
    credentials?: { passwords?: TokenPasswordInfo[] };
  };
}

interface GeneratedCredentials {
  username?: string;
  passwords?: Array<TokenPasswordInfo & { value?: string }>;
}

export interface DevicePullTokenOptions {
  armEndpoint: string;
  subscriptionId: string;
  resourceGroup: string;
  registryName: string;
  /** Login server devices pull from. */
  loginServer: string;
  repository: string;
  credential: TokenCredential;
  logger: Logger;
  mask(secret: string): void;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  httpClient?: HttpClient;
  /** Who signs in, for the permission error. */
  identity?: string;
}

/**
 * The ARM client sees status and body only; long-running operations also need the Location and
 * Retry-After headers, which this HttpClient keeps from the latest response (calls are sequential).
 */
function headerKeepingClient(inner: HttpClient): { client: HttpClient; last(): HttpHeaders | undefined } {
  let last: HttpHeaders | undefined;
  return {
    client: {
      async sendRequest(request) {
        const response = await inner.sendRequest(request);
        last = response.headers;
        return response;
      },
    },
    last: () => last,
  };
}

function isNotFound(error: unknown): boolean {
  return error instanceof ArmError && error.status === 404;
}

/** Creates or reuses the token and generates a fresh password in its older slot. */
export async function ensureDevicePullToken(options: DevicePullTokenOptions): Promise<DevicePullCredential> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const headers = headerKeepingClient(options.httpClient ?? createDefaultHttpClient());
  const arm: ArmClient = createArmClient({
    endpoint: options.armEndpoint,
    credential: options.credential,
    httpClient: headers.client,
  });
  const registryPath =
    `/subscriptions/${encodeURIComponent(options.subscriptionId)}/resourceGroups/${encodeURIComponent(options.resourceGroup)}` +
    `/providers/Microsoft.ContainerRegistry/registries/${encodeURIComponent(options.registryName)}`;
  const name = devicePullTokenName(options.repository);
  const actions = pullActions(options.repository);
  const { logger } = options;

  const get = async <T>(path: string): Promise<T | undefined> => {
    try {
      return (await arm.send<T>({ method: 'GET', path, apiVersion: ACR_API_VERSION })).body;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  /** Waits while a resource is Creating/Updating (a 201 answer completes asynchronously). */
  const provisioned = async <T extends { properties?: { provisioningState?: string } }>(
    path: string,
    resource: T,
  ): Promise<T> => {
    let current = resource;
    for (
      let poll = 0;
      poll < 60 && ['Creating', 'Updating'].includes(current.properties?.provisioningState ?? '');
      poll++
    ) {
      await sleep(1000);
      current = (await get<T>(path)) ?? current;
    }
    const state = current.properties?.provisioningState;
    if (state && state !== 'Succeeded') throw new DevicePullTokenError(`${path} ended ${state}`);
    return current;
  };

  try {
    const scopeMapPath = `${registryPath}/scopeMaps/${name}`;
    let scopeMap = await get<ScopeMap>(scopeMapPath);
    const sameActions =
      [...(scopeMap?.properties?.actions ?? [])].sort().join() === [...actions].sort().join();
    if (!scopeMap || !sameActions) {
      const existed = scopeMap !== undefined;
      const response = await arm.send<ScopeMap>({
        method: 'PUT',
        path: scopeMapPath,
        apiVersion: ACR_API_VERSION,
        body: {
          properties: {
            description: `IoT Edge devices pull ${options.repository} (ml-to-iot-edge)`,
            actions,
          },
        },
      });
      scopeMap = await provisioned(scopeMapPath, response.body);
      logger.info(`${existed ? 'Updated' : 'Created'} scope map ${name}: ${actions.join(', ')}`);
    }
    const scopeMapId = scopeMap.id ?? scopeMapPath;

    const tokenPath = `${registryPath}/tokens/${name}`;
    let token = await get<Token>(tokenPath);
    if (!token) {
      const response = await arm.send<Token>({
        method: 'PUT',
        path: tokenPath,
        apiVersion: ACR_API_VERSION,
        body: { properties: { scopeMapId, status: 'enabled' } },
      });
      token = await provisioned(tokenPath, response.body);
      logger.info(`Created token ${name} for devices`);
    } else if (
      token.properties?.scopeMapId?.toLowerCase() !== scopeMapId.toLowerCase() ||
      token.properties?.status !== 'enabled'
    ) {
      // PATCH, never PUT: a PUT of an existing token replaces its credentials.
      const response = await arm.send<Token>({
        method: 'PATCH',
        path: tokenPath,
        apiVersion: ACR_API_VERSION,
        body: { properties: { scopeMapId, status: 'enabled' } },
      });
      token = await provisioned(tokenPath, response.body);
      logger.info(`Re-enabled token ${name} on scope map ${name}`);
    } else logger.info(`Reusing token ${name}`);

    const slot = chooseSlot(token.properties?.credentials?.passwords ?? []);
    const expiry = new Date(now().getTime() + DEVICE_PASSWORD_DAYS * 86_400_000).toISOString();
    const tokenId = token.id ?? tokenPath;
    let generated = await arm.send<GeneratedCredentials>({
      method: 'POST',
      path: `${registryPath}/generateCredentials`,
      apiVersion: ACR_API_VERSION,
      body: { tokenId, expiry, name: slot },
    });
    for (let poll = 0; generated.status === 202 && poll < 60; poll++) {
      const location = headers.last()?.get('location');
      if (!location)
        throw new DevicePullTokenError('generateCredentials answered 202 without a Location to poll');
      const retryAfter = Number(headers.last()?.get('retry-after') ?? '1');
      await sleep(Math.min(Number.isFinite(retryAfter) ? retryAfter : 1, 10) * 1000);
      const url = new URL(location);
      const query = Object.fromEntries([...url.searchParams].filter(([key]) => key !== 'api-version'));
      generated = await arm.send<GeneratedCredentials>({
        method: 'GET',
        path: url.pathname,
        apiVersion: url.searchParams.get('api-version') ?? ACR_API_VERSION,
        query,
      });
    }
    const password = generated.body?.passwords?.find((p) => p.name === slot)?.value;
    if (!password)
      throw new DevicePullTokenError(`generateCredentials returned no value for ${slot} of token ${name}`);
    options.mask(password);
    logger.info(
      `Generated ${slot} of token ${name} (expires ${expiry.slice(0, 10)}); the other slot stays valid`,
    );
    return {
      address: options.loginServer,
      username: generated.body?.username ?? name,
      password,
      tokenId,
      slot,
      expiry,
    };
  } catch (error) {
    if (error instanceof ArmError && error.status === 403) {
      throw new DevicePullTokenError(
        `${options.identity ?? 'The Azure identity'} may not manage tokens of registry ${options.registryName} (${error.code}: ${error.serviceMessage}). ` +
          'Grant it a role with Microsoft.ContainerRegistry/registries/scopeMaps/write, tokens/write and generateCredentials/action on the registry (e.g. Contributor), or turn device-pull-token off and pass device-registry-username/-password.',
      );
    }
    // GETs of the scope map and token answer 404 as "absent"; a 404 that gets here is the registry's.
    if (error instanceof ArmError && error.status === 404) {
      throw new DevicePullTokenError(
        `Registry ${options.registryName} was not found in resource group ${options.resourceGroup} of subscription ${options.subscriptionId} (${error.code}: ${error.serviceMessage}).`,
      );
    }
    throw error;
  }
}
