// The sandbox Azure ML endpoint's HTTPS front: Entra sign-in routes (`/{tenant}/...`) and ARM routes
// (`/subscriptions/...`) on one origin, so the same URL is both the authority host and the ARM
// endpoint. ARM requests pass the service's gates in this order: bearer token (issuer of the
// subscription's tenant, this endpoint as audience, lifetime), injected faults, api-version, the
// subscription / resource group / workspace, the caller's permissions, then the workspace model.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { actionOf, matchArmPath, type ArmAction, type ArmTarget } from './arm-routes.js';
import type { SandboxEntra } from './entra.js';
import { ENTRA_PATH, checkArmToken } from './arm-token.js';
import type { AmlFaults } from './faults.js';
import { armError, SandboxHttpError, type SandboxResponse } from './http-errors.js';
import type { SandboxDatastore, SandboxWorkspace } from './workspace-model.js';

/** The counters the front keeps; `conflicts` comes from the workspace model. */
export type FrontCounters = Omit<AmlCounters, 'conflicts'>;

/** api-versions the endpoint accepts (stable ones of the specs, and the previews SDKs use). */
export const SUPPORTED_API_VERSIONS = [
  '2022-10-01',
  '2023-04-01',
  '2023-08-01-preview',
  '2023-10-01',
  '2024-04-01',
  '2024-07-01-preview',
  '2024-10-01',
  '2025-09-01',
  '2025-12-01',
];
/** Before this api-version, listSecrets ignores the expiry body and answers the account key (unverified). */
const FIRST_EXPIRABLE_SECRET_VERSION = '2023-04-01';
const MAX_BODY_BYTES = 1024 * 1024;

export interface AmlCounters {
  armRequests: number;
  /** Version PUTs refused with "Asset paths cannot be updated" (lost races). */
  conflicts: number;
  tokenRequests: number;
  listSecrets: number;
  versionPuts: number;
  versionsCreated: number;
  throttled: number;
  faults: number;
}

export function emptyFrontCounters(): FrontCounters {
  return {
    armRequests: 0,
    tokenRequests: 0,
    listSecrets: 0,
    versionPuts: 0,
    versionsCreated: 0,
    throttled: 0,
    faults: 0,
  };
}

export interface AmlFrontOptions {
  entra: SandboxEntra;
  workspace: SandboxWorkspace;
  /** The tenant the subscription belongs to: tokens must come from it. */
  tenantId: string;
  /** This endpoint's origin: the audience ARM tokens must have. */
  origin: () => string;
  faults: AmlFaults;
  counters: FrontCounters;
  /** `<clientId>|<action>` (or `*|<action>`) pairs that get 403 AuthorizationFailed. */
  denied: Set<string>;
  /** A container SAS for a datastore, valid for `hours`. */
  containerSas(datastore: SandboxDatastore, hours: number): string;
  accountKey: string;
  onInternalError?: (error: unknown) => void;
}

interface Caller {
  clientId: string;
  objectId: string;
}

function send(res: ServerResponse, response: SandboxResponse): void {
  const payload = response.body === undefined ? undefined : JSON.stringify(response.body);
  const headers: Record<string, string | number> = {
    'x-ms-request-id': randomUUID(),
    'x-ms-correlation-request-id': randomUUID(),
    ...response.headers,
  };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw armError(413, 'RequestEntityTooLarge', 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw armError(
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized.',
    );
  }
}

function authenticate(req: IncomingMessage, options: AmlFrontOptions): Caller {
  const header = req.headers.authorization;
  if (!header)
    throw armError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
    );
  return checkArmToken(/^Bearer\s+(\S+)$/i.exec(header)?.[1], options, {
    'www-authenticate': `Bearer authorization_uri="${options.origin()}/${options.tenantId}", error="invalid_token"`,
  });
}

function checkApiVersion(version: string | null): string {
  if (!version)
    throw armError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  if (!SUPPORTED_API_VERSIONS.includes(version))
    throw armError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${version}' is invalid. The supported versions are '${SUPPORTED_API_VERSIONS.join(',')}'.`,
    );
  return version;
}

function checkWorkspace(target: ArmTarget, workspace: SandboxWorkspace): void {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const { subscriptionId, resourceGroup, workspace: name } = workspace.identity;
  if (!same(target.subscriptionId, subscriptionId))
    throw armError(
      404,
      'SubscriptionNotFound',
      `The subscription '${target.subscriptionId}' could not be found.`,
    );
  if (!same(target.resourceGroup, resourceGroup))
    throw armError(
      404,
      'ResourceGroupNotFound',
      `Resource group '${target.resourceGroup}' could not be found.`,
    );
  if (!same(target.workspace, name))
    throw armError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.MachineLearningServices/workspaces/${target.workspace}' under resource group '${target.resourceGroup}' was not found. ` +
        'For more details please go to https://aka.ms/ARMResourceNotFoundFix',
    );
}

function authorize(caller: Caller, action: ArmAction, scope: string, denied: Set<string>): void {
  if (denied.has(`${caller.clientId}|${action}`) || denied.has(`*|${action}`))
    throw armError(
      403,
      'AuthorizationFailed',
      `The client '${caller.clientId}' with object id '${caller.objectId}' does not have authorization to perform action ` +
        `'Microsoft.MachineLearningServices/${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
}

function listSecrets(
  options: AmlFrontOptions,
  datastore: SandboxDatastore,
  apiVersion: string,
  body: unknown,
): SandboxResponse {
  if (datastore.credentialsType === 'None')
    throw armError(
      400,
      'UserError',
      `Datastore '${datastore.name}' uses identity-based access and has no secrets.`,
    );
  options.counters.listSecrets++;
  const request = (body ?? {}) as { expirableSecret?: unknown; expireAfterHours?: unknown };
  if (request.expirableSecret === true && apiVersion >= FIRST_EXPIRABLE_SECRET_VERSION) {
    const hours = request.expireAfterHours ?? 1;
    if (!(typeof hours === 'number' && Number.isInteger(hours) && hours >= 1 && hours <= 168))
      throw armError(400, 'UserError', 'expireAfterHours must be a whole number of hours between 1 and 168.');
    return { status: 200, body: { secretsType: 'Sas', sasToken: options.containerSas(datastore, hours) } };
  }
  return { status: 200, body: { secretsType: 'AccountKey', key: options.accountKey } };
}

async function handleArm(
  req: IncomingMessage,
  url: URL,
  target: ArmTarget,
  caller: Caller,
  options: AmlFrontOptions,
): Promise<SandboxResponse> {
  const { workspace, counters } = options;
  const apiVersion = checkApiVersion(url.searchParams.get('api-version'));
  checkWorkspace(target, workspace);
  const method = (req.method ?? 'GET').toUpperCase();
  const action = actionOf(method, target.route);
  if (!action)
    throw armError(
      405,
      'HttpMethodNotAllowed',
      `The requested resource does not support http method '${method}'.`,
    );
  authorize(caller, action, workspace.armId, options.denied);
  const body = method === 'PUT' || method === 'POST' ? parseJson(await readText(req)) : undefined;
  const route = target.route;
  switch (route.kind) {
    case 'workspace':
      return { status: 200, body: workspace.workspaceResource() };
    case 'datastores':
      return {
        status: 200,
        body: workspace.listDatastores(url.searchParams.get('isDefault')?.toLowerCase() === 'true'),
      };
    case 'datastore':
      return { status: 200, body: workspace.datastoreResource(workspace.datastore(route.datastore)) };
    case 'listSecrets':
      return listSecrets(options, workspace.datastore(route.datastore), apiVersion, body);
    case 'models':
      return { status: 200, body: workspace.listContainers() };
    case 'model':
      return { status: 200, body: workspace.containerResource(route.model) };
    case 'versions':
      return { status: 200, body: workspace.listVersions(route.model) };
    case 'version':
      if (method === 'GET')
        return { status: 200, body: workspace.versionResourceOf(route.model, route.version) };
      if (method === 'DELETE') {
        workspace.deleteVersion(route.model, route.version);
        return { status: 200 };
      }
      counters.versionPuts++;
      {
        const result = workspace.putVersion(route.model, route.version, body, caller.clientId);
        if (result.status === 201) counters.versionsCreated++;
        return { status: result.status, body: result.resource };
      }
  }
}

async function handleEntra(
  req: IncomingMessage,
  match: RegExpExecArray,
  options: AmlFrontOptions,
): Promise<SandboxResponse> {
  const [, tenant, endpoint] = match;
  const method = (req.method ?? 'GET').toUpperCase();
  if (endpoint === 'oauth2/v2.0/token' && method === 'POST') {
    options.counters.tokenRequests++;
    return options.entra.token(decodeURIComponent(tenant!), new URLSearchParams(await readText(req)));
  }
  if (method !== 'GET') throw armError(405, 'HttpMethodNotAllowed', `'${method}' is not supported here.`);
  return endpoint === 'discovery/v2.0/keys'
    ? options.entra.jwks()
    : options.entra.openIdConfiguration(tenant!);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Applies the injected faults of an ARM request; returns the answer that replaces the real one, if any. */
async function injectFaults(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  options: AmlFrontOptions,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  await options.faults.pass(method, path);
  const plan = options.faults.plan(method, path);
  for (const wait of plan.delays) await delay(wait.ms);
  const outcome = plan.outcome;
  if (!outcome) return false;
  options.counters.faults++;
  if (outcome.fault === 'reset') {
    req.socket.destroy();
    return true;
  }
  if (outcome.fault === 'throttle') {
    options.counters.throttled++;
    send(
      res,
      armError(
        429,
        'TooManyRequests',
        'The request was throttled. Retry after the time in the Retry-After header.',
        {
          'retry-after': String(outcome.retryAfterSeconds),
        },
      ).toResponse(),
    );
    return true;
  }
  const code = outcome.status === 503 ? 'ServiceUnavailable' : 'InternalServerError';
  send(
    res,
    armError(
      outcome.status,
      code,
      'The service is temporarily unable to process the request (injected fault).',
    ).toResponse(),
  );
  return true;
}

export function createAmlRequestListener(options: AmlFrontOptions): RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://sandbox.invalid');
    const path = url.pathname;
    const answer = async (): Promise<SandboxResponse | undefined> => {
      const entra = ENTRA_PATH.exec(path);
      if (entra) return handleEntra(req, entra, options);
      options.counters.armRequests++;
      const caller = authenticate(req, options);
      if (await injectFaults(req, res, path, options)) return undefined;
      const target = matchArmPath(path);
      if (!target) throw armError(404, 'NotFound', `No route for '${path}'.`);
      return handleArm(req, url, target, caller, options);
    };
    answer().then(
      (response) => {
        if (response) send(res, response);
      },
      (error: unknown) => {
        if (error instanceof SandboxHttpError) return send(res, error.toResponse());
        (options.onInternalError ?? ((e) => process.stderr.write(`sandbox aml: ${String(e)}\n`)))(error);
        send(
          res,
          armError(500, 'InternalServerError', 'The sandbox failed to process the request.').toResponse(),
        );
      },
    );
  };
}
