// A small OCI distribution API client: reads manifests and small blobs back from a registry and
// checks push access, with the registry's own authentication: basic, or bearer tokens from the
// realm its `WWW-Authenticate` challenge names (Docker Hub, ACR, GHCR, distribution's token auth).
// Built on @azure/core-rest-pipeline for proxies and retries (429/5xx, network errors).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type HttpMethods,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
].join(', ');
const INDEX_TYPES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList];

export interface RegistryCredentials {
  username: string;
  password: string;
}

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** The registry's error code (UNAUTHORIZED, DENIED, MANIFEST_UNKNOWN, ...). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface Manifest {
  mediaType: string;
  /** sha256 of the bytes received: the digest the registry stores them under. */
  digest: string;
  size: number;
  json: {
    mediaType?: string;
    manifests?: Descriptor[];
    config?: Descriptor;
    layers?: Descriptor[];
  };
}

export interface RegistryClientOptions {
  /** Host[:port], e.g. myacr.azurecr.io. */
  registry: string;
  credentials?: RegistryCredentials;
  httpClient?: HttpClient;
  /** Plain http (a local registry without TLS). Default https. */
  insecureHttp?: boolean;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://x/token",service="x",scope="repository:a:pull,push"`. */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const pattern = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const [, key, quoted, bare] of match[2]!.matchAll(pattern)) {
    params[key!.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

async function readAll(stream: Readable | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

function registryErrorText(body: string): { code?: string; message?: string } {
  try {
    const first = (JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> }).errors?.[0];
    return { code: first?.code, message: first?.message };
  } catch {
    return { message: body.trim().slice(0, 200) || undefined };
  }
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface RegistryClient {
  readonly registry: string;
  getManifest(repository: string, reference: string): Promise<Manifest>;
  /** The digest a tag or digest resolves to, or undefined when the registry does not know it. */
  resolve(repository: string, reference: string): Promise<string | undefined>;
  getBlob(repository: string, digest: string): Promise<Buffer>;
  /** Throws a RegistryError when the registry refuses the credentials (what `docker login` checks). */
  checkLogin(): Promise<void>;
  /** Throws a RegistryError when the credentials may not push to `repository`. */
  checkPushAccess(repository: string): Promise<void>;
}

export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const base = `${options.insecureHttp ? 'http' : 'https'}://${options.registry}`;
  // Redirects are followed by hand: a blob redirect to storage must not carry the registry token.
  const pipeline = createPipelineFromOptions({
    redirectOptions: { maxRetries: 0 },
    retryOptions: { maxRetries: 3, retryDelayInMs: 500 },
    userAgentOptions: { userAgentPrefix: 'ml-to-iot-edge' },
  });
  const httpClient = options.httpClient ?? createDefaultHttpClient();
  const basic = options.credentials
    ? `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`
    : undefined;
  const who = options.credentials ? `user '${options.credentials.username}'` : 'anonymous access';
  /** Authorization per scope, once a challenge has said what the registry wants. */
  const authorizations = new Map<string, string>();
  let basicRealm = false;

  async function raw(
    method: HttpMethods,
    url: string,
    headers: Record<string, string>,
    stream: boolean,
  ): Promise<PipelineResponse> {
    const request = createPipelineRequest({
      url,
      method,
      headers: createHttpHeaders(headers),
      allowInsecureConnection: url.startsWith('http:'),
      streamResponseStatusCodes: stream ? new Set([200]) : undefined,
    });
    return pipeline.sendRequest(httpClient, request);
  }

  async function fetchToken(challenge: Challenge, scope: string): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError(`${options.registry} sent a bearer challenge without a realm`, 401);
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    if (scope) url.searchParams.set('scope', scope);
    const response = await raw(
      'GET',
      url.toString(),
      basic ? { authorization: basic, accept: 'application/json' } : {},
      false,
    );
    const body = response.bodyAsText ?? '';
    if (response.status === 401 || response.status === 403) {
      const { message } = registryErrorText(body);
      throw new RegistryError(
        basic
          ? `${options.registry} refused the credentials of ${who} (token service answered ${response.status}${message ? `: ${message}` : ''})`
          : `${options.registry} needs credentials for ${scope}: give registry-username and registry-password (token service answered ${response.status})`,
        response.status,
        'UNAUTHORIZED',
      );
    }
    if (response.status !== 200)
      throw new RegistryError(
        `the token service of ${options.registry} answered ${response.status}`,
        response.status,
      );
    const json = JSON.parse(body) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token) throw new RegistryError(`the token service of ${options.registry} returned no token`, 500);
    return `Bearer ${token}`;
  }

  /** A request with the registry's authentication, answering one challenge. */
  async function send(
    method: HttpMethods,
    path: string,
    scope: string,
    headers: Record<string, string> = {},
    stream = false,
  ): Promise<PipelineResponse> {
    const url = path.startsWith('http') ? path : `${base}${path}`;
    const known = authorizations.get(scope) ?? (basicRealm ? basic : undefined);
    let response = await raw(method, url, known ? { ...headers, authorization: known } : headers, stream);
    if (response.status !== 401) return response;
    const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
    await readAll(response.readableStreamBody as Readable | undefined);
    let authorization: string;
    if (challenge?.scheme === 'basic') {
      if (!basic || known === basic)
        throw new RegistryError(
          basic
            ? `${options.registry} refused the credentials of ${who} (401)`
            : `${options.registry} needs credentials: give registry-username and registry-password`,
          401,
          'UNAUTHORIZED',
        );
      basicRealm = true;
      authorization = basic;
    } else if (challenge?.scheme === 'bearer') {
      authorization = await fetchToken(challenge, scope);
      authorizations.set(scope, authorization);
    } else {
      throw new RegistryError(`${options.registry} answered 401 without a usable challenge`, 401);
    }
    response = await raw(method, url, { ...headers, authorization }, stream);
    if (response.status === 401) {
      throw new RegistryError(
        challenge.scheme === 'basic'
          ? `${options.registry} refused the credentials of ${who} (401)`
          : `${options.registry} refused ${who} for ${scope} (401)${basic ? '' : ': give registry-username and registry-password'}`,
        401,
        'UNAUTHORIZED',
      );
    }
    return response;
  }

  async function fail(response: PipelineResponse, what: string): Promise<never> {
    const body =
      response.bodyAsText ?? (await readAll(response.readableStreamBody as Readable | undefined)).toString();
    const { code, message } = registryErrorText(body);
    throw new RegistryError(
      `${what}: ${options.registry} answered ${response.status}${code ? ` ${code}` : ''}${message ? ` (${message})` : ''}`,
      response.status,
      code,
    );
  }

  const pull = (repository: string): string => `repository:${repository}:pull`;

  return {
    registry: options.registry,

    async getManifest(repository, reference) {
      const response = await send(
        'GET',
        `/v2/${repository}/manifests/${reference}`,
        pull(repository),
        { accept: MANIFEST_ACCEPT },
        true,
      );
      if (response.status !== 200) return fail(response, `reading ${repository}:${reference}`);
      const bytes = await readAll(response.readableStreamBody as Readable | undefined);
      const json = JSON.parse(bytes.toString('utf8')) as Manifest['json'];
      const mediaType = json.mediaType ?? response.headers.get('content-type')?.split(';')[0] ?? '';
      return { mediaType, digest: sha256Digest(bytes), size: bytes.length, json };
    },

    async resolve(repository, reference) {
      const response = await send('HEAD', `/v2/${repository}/manifests/${reference}`, pull(repository), {
        accept: MANIFEST_ACCEPT,
      });
      if (response.status === 404) return undefined;
      if (response.status !== 200) return fail(response, `resolving ${repository}:${reference}`);
      return response.headers.get('docker-content-digest') ?? undefined;
    },

    async getBlob(repository, digest) {
      let response = await send('GET', `/v2/${repository}/blobs/${digest}`, pull(repository), {}, true);
      for (let hops = 0; [301, 302, 303, 307, 308].includes(response.status) && hops < 5; hops++) {
        const location = new URL(response.headers.get('location') ?? '', `${base}/`);
        // Storage behind a redirect gets no registry credentials.
        response =
          location.host === options.registry
            ? await send('GET', location.toString(), pull(repository), {}, true)
            : await raw('GET', location.toString(), {}, true);
      }
      if (response.status !== 200) return fail(response, `reading blob ${digest} of ${repository}`);
      const bytes = await readAll(response.readableStreamBody as Readable | undefined);
      if (sha256Digest(bytes) !== digest && digest.startsWith('sha256:'))
        throw new RegistryError(`blob ${digest} of ${repository} does not match its digest`);
      return bytes;
    },

    async checkLogin() {
      const response = await send('GET', '/v2/', '');
      if (response.status !== 200) return fail(response, `signing in to ${options.registry}`);
    },

    async checkPushAccess(repository) {
      // Start a blob upload and cancel it: the registry answers as it would for the push itself.
      const response = await send(
        'POST',
        `/v2/${repository}/blobs/uploads/`,
        `repository:${repository}:pull,push`,
        {
          'content-length': '0',
        },
      );
      if (response.status === 202) {
        const location = response.headers.get('location');
        if (location) {
          const url = new URL(location, `${base}/`).toString();
          await send('DELETE', url, `repository:${repository}:pull,push`).catch(() => undefined);
        }
        return;
      }
      if (response.status === 401 || response.status === 403)
        return fail(response, `${who} may not push to ${repository}`);
      return fail(response, `the registry refused a push to ${repository}`);
    },
  };
}

/** Whether a manifest is an index (several platforms) rather than one image. */
export function isIndex(manifest: Manifest): boolean {
  return INDEX_TYPES.includes(manifest.mediaType) || Array.isArray(manifest.json.manifests);
}
