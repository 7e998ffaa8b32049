// The sandbox Azure Container Registry's HTTPS front, on one origin:
//   - Entra sign-in (`/{tenant}/...`, the AML sandbox's stand-in), so the real @azure/identity
//     credentials get tokens for this origin as their ARM audience;
//   - ARM (`/subscriptions/.../registries/{name}/...`): scope maps, tokens, generateCredentials, with
//     ARM's gates (bearer token, api-version, subscription / resource group / registry, RBAC) and
//     the service's status codes: 201 + Azure-AsyncOperation for creates that complete
//     asynchronously, 202 + Location for generateCredentials, 404 ResourceNotFound, 403
//     AuthorizationFailed, 400 for bad names and actions;
//   - the registry (login server = the same host:port): `/oauth2/exchange` (Entra token → refresh
//     token), `/oauth2/token` (basic, refresh-token and password grants → access token per
//     repository scope) and the `/v2/` reads and upload start, answering 401 with a Bearer challenge.
// Error codes for name and action validation are the generic ARM ones [unverified for ACR].
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { SandboxEntra } from '../aml/entra.js';
import { ENTRA_PATH, checkArmToken } from '../aml/arm-token.js';
import { armError, SandboxHttpError } from '../aml/http-errors.js';
import {
  SCOPE_MAP_ACTION,
  type PasswordSlot,
  type RegistryPrincipal,
  type RepositoryAction,
  type SandboxRegistry,
  type ScopeMapState,
  type TokenState,
} from './registry-model.js';

export const ACR_API_VERSIONS = [
  '2019-05-01-preview',
  '2022-12-01',
  '2023-01-01-preview',
  '2023-07-01',
  '2023-11-01-preview',
  '2025-04-01',
];
/** The username of ACR refresh tokens (and of the token an Entra exchange returns). */
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';
const NAME = /^[a-zA-Z0-9_-]{5,50}$/;

export type AcrArmAction =
  | 'scopeMaps/read'
  | 'scopeMaps/write'
  | 'tokens/read'
  | 'tokens/write'
  | 'generateCredentials/action'
  | 'registries/read';

export interface AcrCounters {
  armRequests: number;
  scopeMapWrites: number;
  tokenWrites: number;
  credentialsGenerated: number;
  exchanges: number;
  registryTokens: number;
  registryRequests: number;
  faults: number;
}

export function emptyAcrCounters(): AcrCounters {
  return {
    armRequests: 0,
    scopeMapWrites: 0,
    tokenWrites: 0,
    credentialsGenerated: 0,
    exchanges: 0,
    registryTokens: 0,
    registryRequests: 0,
    faults: 0,
  };
}

export interface AcrFault {
  status: number;
  /** Requests still to fail. */
  remaining: number;
  /** Only requests whose `METHOD path` matches. */
  match?: RegExp;
}

export interface AcrFrontOptions {
  registry: SandboxRegistry;
  entra: SandboxEntra;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  registryName: string;
  origin(): string;
  /** Roles of Entra clients on the registry (the Entra exchange needs one). */
  roles: Map<string, 'push' | 'pull'>;
  /** `<clientId>|<action>` (or `*|<action>`): 403 AuthorizationFailed. */
  denied: Set<string>;
  /** Creates answer 201 + Azure-AsyncOperation and generateCredentials 202 + Location (as the service does). */
  asyncOperations: boolean;
  faults: AcrFault[];
  counters: AcrCounters;
  /** Every request: method, path, status. */
  log: Array<{ method: string; path: string; status: number }>;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Exact bytes (manifests, blobs), sent instead of JSON. */
  raw?: Buffer;
}

function registryError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): SandboxHttpError {
  return new SandboxHttpError(status, { errors: [{ code, message, detail: null }] }, headers);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through
  }
  throw armError(
    400,
    'InvalidRequestContent',
    'The request content was invalid and could not be deserialized.',
  );
}

const REGISTRY_BASE =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)(\/.*)?$/i;

interface Caller {
  clientId: string;
  objectId: string;
}

export function createAcrRequestListener(options: AcrFrontOptions): RequestListener {
  const { registry, counters } = options;
  const scopeMapId = (name: string) =>
    `/subscriptions/${options.subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${options.registryName}/scopeMaps/${name}`;
  const tokenId = (name: string) =>
    `/subscriptions/${options.subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${options.registryName}/tokens/${name}`;
  const now = () => new Date().toISOString();
  const pendingResults = new Map<string, { polls: number; body: unknown }>();

  /** The Entra token of an ARM request or of an exchange, checked like ARM checks it. */
  function entraCaller(token: string | undefined, challenge: Record<string, string>): Caller {
    return checkArmToken(token, options, challenge);
  }

  function authorize(caller: Caller, action: AcrArmAction, scope: string): void {
    if (options.denied.has(`${caller.clientId}|${action}`) || options.denied.has(`*|${action}`))
      throw armError(
        403,
        'AuthorizationFailed',
        `The client '${caller.objectId}' with object id '${caller.objectId}' does not have authorization to perform action 'Microsoft.ContainerRegistry/registries/${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
  }

  function scopeMapBody(map: ScopeMapState, state: string): unknown {
    return {
      id: scopeMapId(map.name),
      name: map.name,
      type: 'Microsoft.ContainerRegistry/registries/scopeMaps',
      properties: {
        description: map.description,
        type: 'UserDefined',
        creationDate: map.creationDate,
        provisioningState: state,
        actions: map.actions,
      },
    };
  }

  function tokenBody(token: TokenState, state: string): unknown {
    return {
      id: tokenId(token.name),
      name: token.name,
      type: 'Microsoft.ContainerRegistry/registries/tokens',
      properties: {
        creationDate: token.creationDate,
        provisioningState: state,
        scopeMapId: scopeMapId(token.scopeMapName),
        status: token.status,
        credentials: {
          passwords: token.passwords.map(({ name, creationTime, expiry }) => ({
            name,
            creationTime,
            expiry,
          })),
        },
      },
    };
  }

  function state(resource: { pendingPolls: number }): string {
    if (resource.pendingPolls > 0) {
      resource.pendingPolls--;
      return 'Creating';
    }
    return 'Succeeded';
  }

  function checkName(kind: string, name: string): void {
    if (!NAME.test(name))
      throw armError(
        400,
        'InvalidParameter',
        `The ${kind} name '${name}' is invalid: it must be 5 to 50 characters of letters, digits, '-' and '_'.`,
      );
  }

  function scopeMapNameOf(id: unknown): string {
    const match = typeof id === 'string' ? /\/scopeMaps\/([^/]+)$/i.exec(id) : null;
    const name = match?.[1];
    if (!name || !options.registry.scopeMaps.has(name.toLowerCase()))
      throw armError(
        400,
        'InvalidParameter',
        `The scope map '${String(id)}' does not exist in registry '${options.registryName}'.`,
      );
    return options.registry.scopeMaps.get(name.toLowerCase())!.name;
  }

  async function arm(req: IncomingMessage, url: URL, body: Buffer): Promise<Reply> {
    counters.armRequests++;
    const header = req.headers.authorization;
    const challenge = {
      'www-authenticate': `Bearer authorization_uri="${options.origin()}/${options.tenantId}", error="invalid_token"`,
    };
    if (!header)
      throw armError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
      );
    const caller = entraCaller(/^Bearer\s+(\S+)$/i.exec(header)?.[1], challenge);
    const version = url.searchParams.get('api-version');
    if (!version)
      throw armError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    if (!ACR_API_VERSIONS.includes(version))
      throw armError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location 'westeurope' and API version '${version}' for type 'registries'. The supported api-versions are '${ACR_API_VERSIONS.join(', ')}'.`,
      );
    const match = REGISTRY_BASE.exec(url.pathname);
    if (!match) throw armError(404, 'NotFound', `No route for ${req.method} ${url.pathname}`);
    const [, subscription, group, name, rest = ''] = match;
    const same = (a: string, b: string) => a.toLowerCase() === decodeURIComponent(b).toLowerCase();
    if (!same(options.subscriptionId, subscription!))
      throw armError(404, 'SubscriptionNotFound', `The subscription '${subscription}' could not be found.`);
    if (!same(options.resourceGroup, group!))
      throw armError(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`);
    if (!same(options.registryName, name!))
      throw armError(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.ContainerRegistry/registries/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    const scope = url.pathname;
    const method = req.method ?? 'GET';

    if (rest === '' && method === 'GET') {
      authorize(caller, 'registries/read', scope);
      return {
        status: 200,
        body: {
          id: url.pathname,
          name: options.registryName,
          type: 'Microsoft.ContainerRegistry/registries',
          sku: { name: 'Premium', tier: 'Premium' },
          properties: {
            loginServer: options.origin().replace(/^https:\/\//, ''),
            adminUserEnabled: false,
            provisioningState: 'Succeeded',
          },
        },
      };
    }

    const operation = /^\/(scopeMaps|tokens)\/([^/]+)\/operationStatuses\/([^/]+)$/.exec(rest);
    if (operation && method === 'GET')
      return { status: 200, body: { id: url.pathname, name: operation[3], status: 'Succeeded' } };
    const result = /^\/operationResults\/([^/]+)$/.exec(rest);
    if (result && method === 'GET') {
      const pending = pendingResults.get(result[1]!);
      if (!pending) throw armError(404, 'NotFound', `The operation '${result[1]}' was not found.`);
      if (pending.polls-- > 0)
        return {
          status: 202,
          headers: { location: `${options.origin()}${url.pathname}${url.search}`, 'retry-after': '0' },
        };
      pendingResults.delete(result[1]!);
      return { status: 200, body: pending.body };
    }

    const scopeMap = /^\/scopeMaps\/([^/]+)$/.exec(rest);
    if (scopeMap) {
      const mapName = decodeURIComponent(scopeMap[1]!);
      const existing = registry.scopeMaps.get(mapName.toLowerCase());
      if (method === 'GET') {
        authorize(caller, 'scopeMaps/read', scope);
        if (!existing)
          throw armError(
            404,
            'ResourceNotFound',
            `The scope map '${mapName}' was not found in registry '${options.registryName}'.`,
          );
        return { status: 200, body: scopeMapBody(existing, state(existing)) };
      }
      if (method === 'PUT' || method === 'PATCH') {
        authorize(caller, 'scopeMaps/write', scope);
        checkName('scope map', mapName);
        const properties = (json(body).properties ?? {}) as { actions?: unknown; description?: unknown };
        if (method === 'PATCH' && !existing)
          throw armError(404, 'ResourceNotFound', `The scope map '${mapName}' was not found.`);
        const actions = properties.actions ?? existing?.actions;
        if (
          !Array.isArray(actions) ||
          actions.length === 0 ||
          actions.some((a) => typeof a !== 'string' || !SCOPE_MAP_ACTION.test(a))
        )
          throw armError(
            400,
            'InvalidParameter',
            `The scope map actions ${JSON.stringify(actions)} are invalid: use repositories/<repository>/content/read and the like.`,
          );
        counters.scopeMapWrites++;
        const created = !existing;
        const map: ScopeMapState = existing ?? {
          name: mapName,
          actions: [],
          creationDate: now(),
          pendingPolls: options.asyncOperations ? 1 : 0,
        };
        map.actions = actions as string[];
        if (typeof properties.description === 'string') map.description = properties.description;
        registry.scopeMaps.set(mapName.toLowerCase(), map);
        if (created && options.asyncOperations)
          return {
            status: 201,
            headers: {
              'azure-asyncoperation': `${options.origin()}${url.pathname}/operationStatuses/scopemaps-${randomUUID()}?api-version=${version}`,
            },
            body: scopeMapBody(map, 'Creating'),
          };
        return { status: created ? 201 : 200, body: scopeMapBody(map, 'Succeeded') };
      }
      if (method === 'DELETE') {
        authorize(caller, 'scopeMaps/write', scope);
        if (!existing) return { status: 204 };
        if ([...registry.tokens.values()].some((t) => t.scopeMapName.toLowerCase() === mapName.toLowerCase()))
          throw armError(
            409,
            'Conflict',
            `The scope map '${mapName}' is used by a token and cannot be deleted.`,
          );
        registry.scopeMaps.delete(mapName.toLowerCase());
        return { status: 200 };
      }
    }

    const token = /^\/tokens\/([^/]+)$/.exec(rest);
    if (token) {
      const tokenName = decodeURIComponent(token[1]!);
      const existing = registry.tokens.get(tokenName.toLowerCase());
      if (method === 'GET') {
        authorize(caller, 'tokens/read', scope);
        if (!existing)
          throw armError(
            404,
            'ResourceNotFound',
            `The token '${tokenName}' was not found in registry '${options.registryName}'.`,
          );
        return { status: 200, body: tokenBody(existing, state(existing)) };
      }
      if (method === 'PUT' || method === 'PATCH') {
        authorize(caller, 'tokens/write', scope);
        checkName('token', tokenName);
        if (method === 'PATCH' && !existing)
          throw armError(404, 'ResourceNotFound', `The token '${tokenName}' was not found.`);
        const properties = (json(body).properties ?? {}) as { scopeMapId?: unknown; status?: unknown };
        const status = properties.status ?? existing?.status ?? 'enabled';
        if (status !== 'enabled' && status !== 'disabled')
          throw armError(400, 'InvalidParameter', `The token status '${String(status)}' is invalid.`);
        const mapName =
          properties.scopeMapId !== undefined || !existing
            ? scopeMapNameOf(properties.scopeMapId)
            : existing.scopeMapName;
        counters.tokenWrites++;
        const created = !existing;
        const next: TokenState = existing ?? {
          name: tokenName,
          scopeMapName: mapName,
          status,
          creationDate: now(),
          passwords: [],
          pendingPolls: options.asyncOperations ? 1 : 0,
        };
        next.scopeMapName = mapName;
        next.status = status;
        // A PUT replaces the token, credentials included; a PATCH keeps them.
        if (method === 'PUT') next.passwords = [];
        registry.tokens.set(tokenName.toLowerCase(), next);
        if (created && options.asyncOperations)
          return {
            status: 201,
            headers: {
              'azure-asyncoperation': `${options.origin()}${url.pathname}/operationStatuses/tokens-${randomUUID()}?api-version=${version}`,
            },
            body: tokenBody(next, 'Creating'),
          };
        return { status: created ? 201 : 200, body: tokenBody(next, 'Succeeded') };
      }
      if (method === 'DELETE') {
        authorize(caller, 'tokens/write', scope);
        registry.tokens.delete(tokenName.toLowerCase());
        return { status: existing ? 200 : 204 };
      }
    }

    if (rest === '/generateCredentials' && method === 'POST') {
      authorize(caller, 'generateCredentials/action', scope);
      const request = json(body) as { tokenId?: unknown; expiry?: unknown; name?: unknown };
      const target =
        typeof request.tokenId === 'string' ? /\/tokens\/([^/]+)$/i.exec(request.tokenId)?.[1] : undefined;
      const tokenState = target ? registry.tokens.get(target.toLowerCase()) : undefined;
      if (!tokenState)
        throw armError(
          404,
          'ResourceNotFound',
          `The token '${String(request.tokenId)}' was not found in registry '${options.registryName}'.`,
        );
      if (request.name !== undefined && request.name !== 'password1' && request.name !== 'password2')
        throw armError(
          400,
          'InvalidParameter',
          `The password name '${String(request.name)}' is invalid: use password1 or password2.`,
        );
      if (
        request.expiry !== undefined &&
        (typeof request.expiry !== 'string' || Number.isNaN(Date.parse(request.expiry)))
      )
        throw armError(400, 'InvalidParameter', `The expiry '${String(request.expiry)}' is not a date-time.`);
      counters.credentialsGenerated++;
      const slots: PasswordSlot[] = request.name
        ? [request.name as PasswordSlot]
        : ['password1', 'password2'];
      registry.generatePasswords(tokenState, slots, request.expiry as string | undefined);
      const result = {
        username: tokenState.name,
        // Like the service: the answer lists the values of the passwords just generated.
        passwords: tokenState.passwords
          .filter((p) => slots.includes(p.name))
          .map(({ name, value, creationTime, expiry }) => ({ name, value, creationTime, expiry })),
      };
      if (!options.asyncOperations) return { status: 200, body: result };
      const id = `registries-${randomUUID()}`;
      pendingResults.set(id, { polls: 1, body: result });
      const location = `${options.origin()}${url.pathname.replace(/\/generateCredentials$/, '')}/operationResults/${id}?api-version=${version}`;
      return { status: 202, headers: { location, 'retry-after': '0' } };
    }
    throw armError(405, 'MethodNotAllowed', `${method} ${rest || '/'} is not supported on registries.`);
  }

  // --- the registry -----------------------------------------------------------------------------

  const challengeFor = (repository?: string, actions = 'pull'): Record<string, string> => ({
    'www-authenticate': `Bearer realm="${options.origin()}/oauth2/token",service="${options.origin().replace(/^https:\/\//, '')}"${repository ? `,scope="repository:${repository}:${actions}"` : ''}`,
  });

  function principalFromBasic(header: string | undefined): RegistryPrincipal | undefined {
    const encoded = header ? /^Basic\s+(\S+)$/i.exec(header)?.[1] : undefined;
    if (!encoded) return undefined;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    const principal = passwordPrincipal(decoded.slice(0, at), decoded.slice(at + 1));
    if (typeof principal === 'string')
      throw registryError(401, 'UNAUTHORIZED', `authentication required: ${principal}`);
    return principal;
  }

  function passwordPrincipal(username: string, password: string): RegistryPrincipal | string {
    return username === NULL_GUID
      ? registry.refreshPrincipal(password)
      : registry.tokenPrincipal(username, password);
  }

  async function registryRoute(req: IncomingMessage, url: URL, body: Buffer): Promise<Reply> {
    counters.registryRequests++;
    const method = req.method ?? 'GET';
    if (url.pathname === '/oauth2/exchange' && method === 'POST') {
      const form = new URLSearchParams(body.toString('utf8'));
      if (form.get('grant_type') !== 'access_token')
        throw registryError(400, 'UNSUPPORTED', 'grant_type must be access_token');
      let caller: Caller;
      try {
        caller = entraCaller(form.get('access_token') ?? undefined, {});
      } catch (error) {
        const message =
          error instanceof SandboxHttpError
            ? ((error.body as { error?: { message?: string } }).error?.message ?? 'invalid token')
            : 'invalid token';
        throw registryError(401, 'UNAUTHORIZED', message);
      }
      const role = options.roles.get(caller.clientId);
      if (!role)
        throw registryError(
          401,
          'UNAUTHORIZED',
          `the principal ${caller.objectId} has no role on registry ${options.registryName}`,
        );
      counters.exchanges++;
      return {
        status: 200,
        body: { refresh_token: registry.issueRefreshToken(`entra:${caller.clientId}`, role) },
      };
    }
    if (url.pathname === '/oauth2/token') {
      let principal: RegistryPrincipal | string | undefined;
      let scopes = url.searchParams.getAll('scope');
      if (method === 'POST') {
        const form = new URLSearchParams(body.toString('utf8'));
        scopes = form.getAll('scope').flatMap((s) => s.split(' '));
        const grant = form.get('grant_type');
        if (grant === 'refresh_token') principal = registry.refreshPrincipal(form.get('refresh_token') ?? '');
        else if (grant === 'password')
          principal = passwordPrincipal(form.get('username') ?? '', form.get('password') ?? '');
        else throw registryError(400, 'UNSUPPORTED', `grant_type ${grant} is not supported`);
      } else principal = principalFromBasic(req.headers.authorization);
      if (principal === undefined)
        throw registryError(401, 'UNAUTHORIZED', 'authentication required', challengeFor());
      if (typeof principal === 'string')
        throw registryError(401, 'UNAUTHORIZED', `authentication required: ${principal}`);
      counters.registryTokens++;
      const token = registry.issueAccessToken(principal, scopes);
      return { status: 200, body: { access_token: token, token } };
    }

    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      if (!registry.allows(bearer, undefined, 'login'))
        throw registryError(401, 'UNAUTHORIZED', 'authentication required', challengeFor());
      return { status: 200, body: {} };
    }
    const upload = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname);
    const content = upload ? null : /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    const repository = upload?.[1] ?? content?.[1];
    if (!repository) throw registryError(404, 'NAME_UNKNOWN', `no route for ${url.pathname}`);
    const action: RepositoryAction = method === 'GET' || method === 'HEAD' ? 'pull' : 'push';
    if (!registry.allows(bearer, repository, action))
      throw registryError(
        401,
        'UNAUTHORIZED',
        'authentication required',
        challengeFor(repository, action === 'pull' ? 'pull' : 'pull,push'),
      );

    if (upload) {
      if (method === 'POST') {
        const id = randomUUID();
        registry.uploads.add(id);
        return {
          status: 202,
          headers: {
            location: `/v2/${repository}/blobs/uploads/${id}`,
            'docker-upload-uuid': id,
            range: '0-0',
          },
        };
      }
      if (method === 'DELETE') {
        if (!registry.uploads.delete(upload[2]!))
          throw registryError(404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
        return { status: 204 };
      }
    }
    if (content?.[2] === 'manifests') {
      const reference = content[3]!;
      if (method === 'PUT') {
        const digest = registry.putManifest(
          repository,
          reference,
          body.toString('utf8'),
          req.headers['content-type'],
        );
        return {
          status: 201,
          headers: { 'docker-content-digest': digest, location: `/v2/${repository}/manifests/${digest}` },
        };
      }
      const manifest = registry.getManifest(repository, reference);
      if (!manifest) throw registryError(404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      const headers = { 'content-type': manifest.mediaType, 'docker-content-digest': manifest.digest };
      return method === 'HEAD'
        ? { status: 200, headers: { ...headers, 'content-length': String(manifest.bytes.length) } }
        : { status: 200, headers, raw: manifest.bytes };
    }
    if (content?.[2] === 'blobs' && (method === 'GET' || method === 'HEAD')) {
      const blob = registry.getBlob(repository, content[3]!);
      if (!blob) throw registryError(404, 'BLOB_UNKNOWN', 'blob unknown to registry');
      return {
        status: 200,
        headers: { 'content-type': 'application/octet-stream', 'docker-content-digest': content[3]! },
        raw: method === 'GET' ? blob : undefined,
      };
    }
    throw registryError(
      405,
      'UNSUPPORTED',
      `${method} ${url.pathname} is not supported by the sandbox registry`,
    );
  }

  function write(res: ServerResponse, reply: Reply, requestId: string): void {
    const headers: Record<string, string | number> = {
      'x-ms-request-id': requestId,
      'docker-distribution-api-version': 'registry/2.0',
      ...reply.headers,
    };
    let payload: Buffer | undefined = reply.raw;
    if (!payload && reply.body !== undefined) {
      payload = Buffer.from(JSON.stringify(reply.body));
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    if (payload) headers['content-length'] = payload.length;
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  return (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', options.origin());
      const requestId = randomUUID();
      let reply: Reply;
      try {
        const body = await readBody(req);
        const fault = options.faults.find(
          (f) => f.remaining > 0 && (!f.match || f.match.test(`${req.method} ${url.pathname}`)),
        );
        const entra = ENTRA_PATH.exec(url.pathname);
        if (fault) {
          fault.remaining--;
          counters.faults++;
          reply = {
            status: fault.status,
            headers: fault.status === 429 ? { 'retry-after': '0' } : {},
            body: {
              error: {
                code: fault.status === 429 ? 'TooManyRequests' : 'InternalServerError',
                message: 'injected fault',
              },
            },
          };
        } else if (entra) {
          const [, tenant, endpoint] = entra;
          reply =
            endpoint === 'oauth2/v2.0/token'
              ? options.entra.token(decodeURIComponent(tenant!), new URLSearchParams(body.toString('utf8')))
              : endpoint === 'discovery/v2.0/keys'
                ? options.entra.jwks()
                : options.entra.openIdConfiguration(tenant!);
        } else if (url.pathname.startsWith('/subscriptions/')) reply = await arm(req, url, body);
        else reply = await registryRoute(req, url, body);
      } catch (error) {
        reply =
          error instanceof SandboxHttpError
            ? error.toResponse()
            : { status: 500, body: { error: { code: 'InternalServerError', message: String(error) } } };
      }
      options.log.push({ method: req.method ?? 'GET', path: url.pathname, status: reply.status });
      write(res, reply, requestId);
    })();
  };
}
