// A small OCI distribution API client: reads manifests and blobs, checks push access, and pushes
// blobs (cross-repository mounts, monolithic and chunked uploads, and streamed uploads whose digest
// is known only at the end, for a layer compressed on its way up) and manifests, with the registry's
// own authentication: basic, or bearer tokens from the realm its `WWW-Authenticate` challenge names
// (Docker Hub, ACR, GHCR, distribution's token auth).
// Built on @azure/core-rest-pipeline for proxies and retries (429/5xx, network errors). Its Node
// HTTP client keeps one keep-alive agent per client instance, and each registry client makes its
// own HTTP client, so a push of ~30 requests rides on one or two TLS connections; the agent is
// Node's, so NODE_EXTRA_CA_CERTS (test CA, a registry's private CA) is honoured.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type HttpMethods,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { sha256Digest } from './oci/digest.js';
import type { BlobSource } from './oci/image-store.js';

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

/** Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;
/**
 * A blob streamed as it is made goes in PATCHes of up to this many bytes, each sent as the bytes
 * come (chunked transfer encoding) and kept until it is answered, so a retry can send it again.
 * Every request costs the registry an authentication (bcrypt for htpasswd), so few and large.
 */
export const DEFAULT_STREAM_CHUNK_SIZE = 64 * 1024 * 1024;
/** How far a streamed upload reads its source ahead of the request being sent. */
const STREAM_READ_AHEAD = 4 * 1024 * 1024;
/** Tokens are renewed this long before the registry says they expire. */
const TOKEN_MARGIN_MS = 10_000;

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
  urls?: string[];
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

/** A manifest or index exactly as the registry served it. */
export interface ManifestBytes {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

export interface RegistryClientOptions {
  /** Host[:port], e.g. myacr.azurecr.io. */
  registry: string;
  credentials?: RegistryCredentials;
  httpClient?: HttpClient;
  /** Plain http (a local registry without TLS). Default https. */
  insecureHttp?: boolean;
  /** Upload chunk size and the largest blob sent in a single PUT. Default 16 MiB. */
  chunkSize?: number;
  /** Most bytes in one PATCH of a streamed upload (uploadBlobStream). Default 64 MiB. */
  streamChunkSize?: number;
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

/**
 * Scopes as single grants (`repository:a:pull`, `repository:a:push`), sorted and deduplicated, so
 * `repository:a:push,pull` and `repository:a:pull,push` share a token and a wider token serves a
 * narrower request.
 */
export function scopeGrants(scopes: readonly string[]): string[] {
  const grants = new Set<string>();
  for (const scope of scopes.flatMap((s) => s.split(' '))) {
    const at = scope.lastIndexOf(':');
    if (at <= 0) {
      if (scope) grants.add(scope);
      continue;
    }
    for (const action of scope.slice(at + 1).split(','))
      if (action) grants.add(`${scope.slice(0, at)}:${action}`);
  }
  return [...grants].sort();
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

/** Whether a manifest reference is a digest (`algorithm:hex`) rather than a tag. */
function isDigest(reference: string): boolean {
  return reference.includes(':');
}

/** The digest of `bytes` with the algorithm `digest` names; undefined for an algorithm we lack. */
function digestWithAlgorithmOf(digest: string, bytes: Buffer): string | undefined {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return undefined;
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
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
  /**
   * A manifest or index as served (bytes untouched, so they hash to its digest); undefined when
   * the registry does not have it. A digest reference is checked against the bytes.
   */
  getManifestBytes(repository: string, reference: string): Promise<ManifestBytes | undefined>;
  hasBlob(repository: string, digest: string): Promise<boolean>;
  /**
   * Links a blob of `fromRepository` (same registry) into `repository` without sending it. False
   * when the registry declines (it may not allow mounts, or the credentials cannot read `from`).
   */
  mountBlob(repository: string, digest: string, fromRepository: string): Promise<boolean>;
  /** Uploads a blob: in one PUT up to the chunk size, else in PATCH chunks streamed from the source. */
  uploadBlob(repository: string, digest: string, size: number, source: BlobSource): Promise<void>;
  /**
   * Uploads a blob whose bytes are produced while it uploads (a layer compressed on the way): PATCHes
   * as the bytes come, the rest with the closing PUT, whose `?digest=` is `digest()`, asked once
   * `chunks` has ended. The registry checks the bytes against that digest, as for any upload.
   * Returns the bytes sent. (Optional: stand-ins may leave it out; callers then build the blob first.)
   * `beforeClose` is awaited before the PUT: until then nothing is in the repository, only in an
   * upload session, which is cancelled when it rejects.
   */
  uploadBlobStream?(
    repository: string,
    chunks: AsyncIterable<Buffer>,
    digest: () => string,
    beforeClose?: Promise<void>,
  ): Promise<number>;
  /** Stores a manifest under a tag or digest; returns its digest. */
  putManifest(repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<string>;
}

/** An iterable being read ahead of its consumer (readAhead). */
export interface ReadAhead extends AsyncIterable<Buffer> {
  /** Stops reading the source (for a consumer that gives up before it starts). */
  cancel(): Promise<void>;
}

/**
 * Reads `source` from now on, up to `limit` bytes ahead of the consumer, so the producer (a
 * compressor) keeps working while the consumer waits on a request. Stopping early, or cancel(),
 * stops reading the source. One consumer only.
 */
export function readAhead(source: AsyncIterable<Buffer>, limit: number): ReadAhead {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: 'consumer' | 'producer') => {
    const resolve = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeProducer = undefined;
    resolve?.();
  };
  const pump = (async () => {
    try {
      for await (const chunk of source) {
        queue.push(chunk);
        queued += chunk.length;
        wake('consumer');
        while (queued >= limit && !stopped) await new Promise<void>((resolve) => (wakeProducer = resolve));
        if (stopped) break;
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      wake('consumer');
    }
  })();
  const cancel = async () => {
    stopped = true;
    wake('producer');
    await pump;
  };
  async function* consume(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const chunk = queue.shift();
        if (chunk) {
          queued -= chunk.length;
          wake('producer');
          yield chunk;
        } else if (failure) {
          throw failure.error;
        } else if (ended) {
          return;
        } else {
          await new Promise<void>((resolve) => (wakeConsumer = resolve));
        }
      }
    } finally {
      await cancel();
    }
  }
  return { [Symbol.asyncIterator]: consume, cancel };
}

interface Token {
  authorization: string;
  grants: ReadonlySet<string>;
  expiresAt: number;
}

/** A request body: bytes, or a factory of streams so the retry policy can send it again. */
type Body = Buffer | (() => NodeJS.ReadableStream);

export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const base = `${options.insecureHttp ? 'http' : 'https'}://${options.registry}`;
  const registryHost = new URL(base).host;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const streamChunkSize = options.streamChunkSize ?? DEFAULT_STREAM_CHUNK_SIZE;
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
  /** Bearer tokens by their sorted grants; a token request in flight is shared. */
  const tokens = new Map<string, Token>();
  const pendingTokens = new Map<string, Promise<Token>>();
  /** Once a bearer challenge is known, tokens for new scopes are fetched before the request. */
  let bearerChallenge: Challenge | undefined;
  let basicRealm = false;

  async function raw(
    method: HttpMethods,
    url: string,
    headers: Record<string, string>,
    stream: boolean,
    body?: Body,
  ): Promise<PipelineResponse> {
    const request = createPipelineRequest({
      url,
      method,
      headers: createHttpHeaders(headers),
      body,
      allowInsecureConnection: url.startsWith('http:'),
      streamResponseStatusCodes: stream ? new Set([200]) : undefined,
    });
    const response = await pipeline.sendRequest(httpClient, request);
    // A HEAD answer is returned before its socket goes back to the keep-alive pool; a request sent
    // at once would open a second connection. One turn of the event loop lets the socket return.
    if (method === 'HEAD') await new Promise((resolve) => setImmediate(resolve));
    return response;
  }

  async function fetchToken(challenge: Challenge, scopes: readonly string[]): Promise<Token> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError(`${options.registry} sent a bearer challenge without a realm`, 401);
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    // Several scopes are several `scope` parameters (a push that mounts needs two repositories).
    for (const scope of scopes) if (scope) url.searchParams.append('scope', scope);
    const wanted = scopes.filter(Boolean).join(' ');
    const response = await raw(
      'GET',
      url.toString(),
      basic ? { authorization: basic, accept: 'application/json' } : { accept: 'application/json' },
      false,
    );
    const body = response.bodyAsText ?? '';
    if (response.status === 401 || response.status === 403) {
      const { message } = registryErrorText(body);
      throw new RegistryError(
        basic
          ? `${options.registry} refused the credentials of ${who} (token service answered ${response.status}${message ? `: ${message}` : ''})`
          : `${options.registry} needs credentials for ${wanted}: give registry-username and registry-password (token service answered ${response.status})`,
        response.status,
        'UNAUTHORIZED',
      );
    }
    if (response.status !== 200)
      throw new RegistryError(
        `the token service of ${options.registry} answered ${response.status}`,
        response.status,
      );
    const json = JSON.parse(body) as { token?: string; access_token?: string; expires_in?: number };
    const token = json.token ?? json.access_token;
    if (!token) throw new RegistryError(`the token service of ${options.registry} returned no token`, 500);
    // The token spec's default lifetime is 60 s.
    const lifetimeMs = (typeof json.expires_in === 'number' ? json.expires_in : 60) * 1000;
    return {
      authorization: `Bearer ${token}`,
      grants: new Set(scopeGrants(scopes)),
      expiresAt: Date.now() + lifetimeMs - TOKEN_MARGIN_MS,
    };
  }

  /** A fresh token for `scopes`; concurrent requests for the same scopes share one fetch. */
  async function newToken(challenge: Challenge, scopes: readonly string[]): Promise<Token> {
    const key = scopeGrants(scopes).join(' ');
    let pending = pendingTokens.get(key);
    if (!pending) {
      pending = fetchToken(challenge, scopes).finally(() => pendingTokens.delete(key));
      pendingTokens.set(key, pending);
    }
    const token = await pending;
    tokens.set(key, token);
    return token;
  }

  /** A cached token whose grants cover `scopes` (a push token serves pulls of its repository). */
  function cachedToken(scopes: readonly string[]): Token | undefined {
    const wanted = scopeGrants(scopes);
    const now = Date.now();
    const exact = tokens.get(wanted.join(' '));
    if (exact && exact.expiresAt > now) return exact;
    for (const token of tokens.values())
      if (token.expiresAt > now && wanted.every((grant) => token.grants.has(grant))) return token;
    return undefined;
  }

  async function authorizationFor(scopes: readonly string[]): Promise<string | undefined> {
    if (basicRealm) return basic;
    const cached = cachedToken(scopes);
    if (cached) return cached.authorization;
    if (bearerChallenge) return (await newToken(bearerChallenge, scopes)).authorization;
    return undefined;
  }

  /**
   * A request with the registry's authentication, answering one challenge. `path` is a path on the
   * registry or a URL it handed out (upload Location, redirect): on the registry's host it carries
   * the authentication, anywhere else (storage behind a redirect) it goes without.
   */
  async function send(
    method: HttpMethods,
    path: string,
    scopes: readonly string[],
    headers: Record<string, string> = {},
    stream = false,
    body?: Body,
  ): Promise<PipelineResponse> {
    const url = path.startsWith('http') ? path : `${base}${path}`;
    if (new URL(url).host !== registryHost) return raw(method, url, headers, stream, body);
    const known = await authorizationFor(scopes);
    let response = await raw(
      method,
      url,
      known ? { ...headers, authorization: known } : headers,
      stream,
      body,
    );
    if (response.status !== 401) return response;
    const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
    await readAll(response.readableStreamBody as Readable | undefined);
    const wanted = scopes.filter(Boolean).join(' ');
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
      bearerChallenge = challenge;
      authorization = (await newToken(challenge, scopes)).authorization;
    } else {
      throw new RegistryError(`${options.registry} answered 401 without a usable challenge`, 401);
    }
    response = await raw(method, url, { ...headers, authorization }, stream, body);
    if (response.status === 401) {
      throw new RegistryError(
        challenge.scheme === 'basic'
          ? `${options.registry} refused the credentials of ${who} (401)`
          : `${options.registry} refused ${who} for ${wanted || 'access'} (401)${basic ? '' : ': give registry-username and registry-password'}`,
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

  /** The absolute URL of a response's Location, relative ones resolved against the registry. */
  function locationOf(response: PipelineResponse, what: string): string {
    const location = response.headers.get('location');
    if (!location)
      throw new RegistryError(
        `${what}: ${options.registry} answered ${response.status} without a Location`,
        response.status,
      );
    return new URL(location, `${base}/`).toString();
  }

  /** Adds `digest=` to an upload URL, keeping the query the registry put there (its upload state). */
  function withDigest(url: string, digest: string): string {
    return `${url}${url.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
  }

  /** Bytes `start..end` (inclusive) of a source, as a body that can be sent again on a retry. */
  function part(source: BlobSource, start: number, end: number): Body {
    if (source.kind === 'bytes') return source.bytes.subarray(start, end + 1);
    if (end < start) return Buffer.alloc(0);
    const path = source.path;
    return () => createReadStream(path, { start, end, highWaterMark: 1024 * 1024 });
  }

  const pull = (repository: string): string => `repository:${repository}:pull`;
  const push = (repository: string): string => `repository:${repository}:pull,push`;

  /** Cancels an upload the registry started; best effort, so an abandoned session is not left behind. */
  async function cancelUpload(url: string, repository: string): Promise<void> {
    await send('DELETE', url, [push(repository)]).catch(() => undefined);
  }

  async function checkSource(repository: string, digest: string, size: number, source: BlobSource) {
    const what = `uploading blob ${digest} to ${options.registry}/${repository}`;
    if (source.kind === 'bytes') {
      if (source.bytes.length !== size)
        throw new RegistryError(`${what}: it has ${source.bytes.length} bytes, not ${size}`);
      const actual = digestWithAlgorithmOf(digest, source.bytes);
      if (actual !== undefined && actual !== digest)
        throw new RegistryError(`${what}: the bytes given hash to ${actual}`, undefined, 'DIGEST_INVALID');
    } else {
      const actual = (await stat(source.path)).size;
      if (actual !== size)
        throw new RegistryError(`${what}: ${source.path} has ${actual} bytes, not ${size}`);
    }
  }

  /** One PATCH of bytes `start..` to an upload; returns the upload's next Location. */
  async function patchChunk(
    location: string,
    scopes: readonly string[],
    start: number,
    length: number,
    body: Body,
    what: string,
  ): Promise<string> {
    const end = start + length - 1;
    const response = await send(
      'PATCH',
      location,
      scopes,
      {
        'content-type': 'application/octet-stream',
        'content-length': String(length),
        'content-range': `${start}-${end}`,
      },
      false,
      body,
    );
    if (response.status === 416)
      return await fail(response, `${what}: the registry refused the chunk ${start}-${end}`);
    if (response.status !== 202) return await fail(response, `${what} (chunk ${start}-${end})`);
    const range = response.headers.get('range')?.replace(/^bytes=/, '');
    if (range && range !== `0-${end}`)
      throw new RegistryError(
        `${what}: after the chunk ${start}-${end} ${options.registry} holds ${range}`,
        response.status,
        'BLOB_UPLOAD_INVALID',
      );
    return locationOf(response, what);
  }

  /** The closing PUT of an upload, with the last bytes (if any); checks what the registry stored. */
  async function closeUpload(
    location: string,
    scopes: readonly string[],
    digest: string,
    body: Buffer | Body | undefined,
    length: number,
    what: string,
  ): Promise<void> {
    const response = await send(
      'PUT',
      withDigest(location, digest),
      scopes,
      length > 0
        ? { 'content-type': 'application/octet-stream', 'content-length': String(length) }
        : { 'content-length': '0' },
      false,
      length > 0 ? body : undefined,
    );
    if (response.status !== 201 && response.status !== 204) return await fail(response, what);
    const stored = response.headers.get('docker-content-digest');
    if (stored && stored !== digest)
      throw new RegistryError(`${what}: the registry stored it as ${stored}`, 201, 'DIGEST_INVALID');
  }

  /** Starts an upload; returns its Location and the chunk size the registry allows. */
  async function startUpload(repository: string, preferred: number, what: string) {
    const started = await send('POST', `/v2/${repository}/blobs/uploads/`, [push(repository)], {
      'content-length': '0',
    });
    if (started.status !== 202) return fail(started, what);
    // Registries may ask for a larger minimum chunk (OCI distribution spec 1.1).
    const minimum = Number(started.headers.get('oci-chunk-min-length') ?? 0) || 0;
    return { location: locationOf(started, what), chunk: Math.max(preferred, minimum) };
  }

  /** GET of a manifest or index in any media type this client reads; the body is streamed. */
  function getManifestResponse(repository: string, reference: string): Promise<PipelineResponse> {
    const path = `/v2/${repository}/manifests/${reference}`;
    return send('GET', path, [pull(repository)], { accept: MANIFEST_ACCEPT }, true);
  }

  const client: RegistryClient = {
    registry: options.registry,

    async getManifest(repository, reference) {
      const response = await getManifestResponse(repository, reference);
      if (response.status !== 200) return fail(response, `reading ${repository}:${reference}`);
      const bytes = await readAll(response.readableStreamBody as Readable | undefined);
      const json = JSON.parse(bytes.toString('utf8')) as Manifest['json'];
      const mediaType = json.mediaType ?? response.headers.get('content-type')?.split(';')[0] ?? '';
      return { mediaType, digest: sha256Digest(bytes), size: bytes.length, json };
    },

    async resolve(repository, reference) {
      const response = await send('HEAD', `/v2/${repository}/manifests/${reference}`, [pull(repository)], {
        accept: MANIFEST_ACCEPT,
      });
      if (response.status === 404) return undefined;
      if (response.status !== 200) return fail(response, `resolving ${repository}:${reference}`);
      return response.headers.get('docker-content-digest') ?? undefined;
    },

    async getBlob(repository, digest) {
      let response = await send('GET', `/v2/${repository}/blobs/${digest}`, [pull(repository)], {}, true);
      for (let hops = 0; [301, 302, 303, 307, 308].includes(response.status) && hops < 5; hops++) {
        const location = locationOf(response, `reading blob ${digest} of ${repository}`);
        response = await send('GET', location, [pull(repository)], {}, true);
      }
      if (response.status !== 200) return fail(response, `reading blob ${digest} of ${repository}`);
      const bytes = await readAll(response.readableStreamBody as Readable | undefined);
      if (sha256Digest(bytes) !== digest && digest.startsWith('sha256:'))
        throw new RegistryError(`blob ${digest} of ${repository} does not match its digest`);
      return bytes;
    },

    async checkLogin() {
      const response = await send('GET', '/v2/', []);
      if (response.status !== 200) return fail(response, `signing in to ${options.registry}`);
    },

    async checkPushAccess(repository) {
      // Start a blob upload and cancel it: the registry answers as it would for the push itself.
      const response = await send('POST', `/v2/${repository}/blobs/uploads/`, [push(repository)], {
        'content-length': '0',
      });
      if (response.status === 202) {
        if (response.headers.get('location'))
          await cancelUpload(locationOf(response, 'starting an upload'), repository);
        return;
      }
      if (response.status === 401 || response.status === 403)
        return fail(response, `${who} may not push to ${repository}`);
      return fail(response, `the registry refused a push to ${repository}`);
    },

    async getManifestBytes(repository, reference) {
      const what = `reading ${options.registry}/${repository}@${reference}`;
      const response = await getManifestResponse(repository, reference);
      if (response.status === 404) return undefined;
      if (response.status !== 200) return fail(response, what);
      const bytes = await readAll(response.readableStreamBody as Readable | undefined);
      const digest = isDigest(reference) ? reference : sha256Digest(bytes);
      // A tag's digest is the hash just taken; only a digest reference needs checking against it.
      const actual = isDigest(reference) ? digestWithAlgorithmOf(reference, bytes) : undefined;
      if (actual !== undefined && actual !== digest)
        throw new RegistryError(`${what}: the bytes served hash to ${actual}`, undefined, 'DIGEST_INVALID');
      const served = response.headers.get('docker-content-digest');
      if (!isDigest(reference) && served?.startsWith('sha256:') && served !== digest)
        throw new RegistryError(
          `${what}: the registry says ${served} but the bytes served hash to ${digest}`,
          undefined,
          'DIGEST_INVALID',
        );
      let json: { mediaType?: unknown };
      try {
        json = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown };
      } catch {
        throw new RegistryError(`${what}: the registry served a manifest that is not JSON`);
      }
      // The manifest's own mediaType field is what the registry checks Content-Type against on a PUT.
      const mediaType =
        typeof json.mediaType === 'string'
          ? json.mediaType
          : (response.headers.get('content-type')?.split(';')[0]?.trim() ?? '');
      return { mediaType, digest, bytes };
    },

    async hasBlob(repository, digest) {
      const response = await send('HEAD', `/v2/${repository}/blobs/${digest}`, [pull(repository)]);
      if (response.status === 200) return true;
      if (response.status === 404) return false;
      // A redirect to storage means the registry has it.
      if (response.status >= 300 && response.status < 400) return true;
      return fail(response, `checking blob ${digest} in ${options.registry}/${repository}`);
    },

    async mountBlob(repository, digest, fromRepository) {
      const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`;
      const response = await send(
        'POST',
        `/v2/${repository}/blobs/uploads/?${query}`,
        [push(repository), pull(fromRepository)],
        { 'content-length': '0' },
      );
      if (response.status === 201) return true;
      if (response.status === 202) {
        // Declined: the registry started an ordinary upload instead; do not leave it open.
        if (response.headers.get('location'))
          await cancelUpload(locationOf(response, 'mounting'), repository);
        return false;
      }
      return fail(
        response,
        `mounting blob ${digest} from ${fromRepository} into ${options.registry}/${repository}`,
      );
    },

    async uploadBlob(repository, digest, size, source) {
      const what = `uploading blob ${digest} to ${options.registry}/${repository}`;
      await checkSource(repository, digest, size, source);
      const scopes = [push(repository)];
      const upload = await startUpload(repository, chunkSize, what);
      let location = upload.location;
      try {
        const monolithic = size <= upload.chunk;
        if (!monolithic)
          for (let start = 0; start < size; start += upload.chunk) {
            const end = Math.min(start + upload.chunk, size) - 1;
            location = await patchChunk(
              location,
              scopes,
              start,
              end - start + 1,
              part(source, start, end),
              what,
            );
          }
        await closeUpload(
          location,
          scopes,
          digest,
          monolithic ? part(source, 0, size - 1) : undefined,
          monolithic ? size : 0,
          what,
        );
      } catch (error) {
        await cancelUpload(location, repository);
        throw error;
      }
    },

    async uploadBlobStream(repository, chunks, digestOf, beforeClose) {
      const scopes = [push(repository)];
      let what = `uploading a blob to ${options.registry}/${repository}`;
      const upload = await startUpload(repository, streamChunkSize, what);
      let location = upload.location;
      const source = readAhead(chunks, STREAM_READ_AHEAD)[Symbol.asyncIterator]();
      let sent = 0;
      try {
        for (let first = await source.next(); !first.done;) {
          // One PATCH: its body streams the bytes as they are produced, up to the chunk size; they are
          // kept, so the body factory can replay them if the pipeline retries the request.
          const kept: Buffer[] = [first.value];
          let keptBytes = first.value.length;
          let following: IteratorResult<Buffer> | undefined;
          let failed: { error: unknown } | undefined;
          const more = async (): Promise<Buffer | undefined> => {
            if (following || keptBytes >= upload.chunk) return undefined;
            let next: IteratorResult<Buffer>;
            try {
              next = await source.next();
            } catch (error) {
              // A body stream that errors leaves the request hanging: end it, then fail below.
              failed = { error };
              following = { done: true, value: undefined };
              return undefined;
            }
            if (next.done) {
              following = next;
              return undefined;
            }
            kept.push(next.value);
            keptBytes += next.value.length;
            return next.value;
          };
          const body = () =>
            Readable.from(
              (async function* () {
                for (let at = 0; ; at++) {
                  if (at >= kept.length && !(await more())) return;
                  yield kept[at]!;
                }
              })(),
            );
          const response = await send(
            'PATCH',
            location,
            scopes,
            { 'content-type': 'application/octet-stream' },
            false,
            body,
          );
          if (failed) throw failed.error;
          if (response.status !== 202) return await fail(response, `${what} (from byte ${sent})`);
          const end = sent + keptBytes - 1;
          const range = response.headers.get('range')?.replace(/^bytes=/, '');
          if (range && range !== `0-${end}`)
            throw new RegistryError(
              `${what}: after ${end + 1} bytes ${options.registry} holds ${range}`,
              response.status,
              'BLOB_UPLOAD_INVALID',
            );
          location = locationOf(response, what);
          sent += keptBytes;
          first = following ?? (await source.next());
        }
        const digest = digestOf();
        what = `uploading blob ${digest} to ${options.registry}/${repository}`;
        await beforeClose;
        await closeUpload(location, scopes, digest, undefined, 0, what);
        return sent;
      } catch (error) {
        await cancelUpload(location, repository);
        throw error;
      } finally {
        await source.return?.();
      }
    },

    async putManifest(repository, reference, mediaType, bytes) {
      const what = `pushing ${options.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
      const digest = sha256Digest(bytes);
      if (isDigest(reference)) {
        const actual = digestWithAlgorithmOf(reference, bytes);
        if (actual !== undefined && actual !== reference)
          throw new RegistryError(
            `${what}: the manifest's bytes hash to ${actual}`,
            undefined,
            'DIGEST_INVALID',
          );
      }
      const response = await send(
        'PUT',
        `/v2/${repository}/manifests/${reference}`,
        [push(repository)],
        { 'content-type': mediaType, 'content-length': String(bytes.length) },
        false,
        bytes,
      );
      if (response.status < 200 || response.status >= 300) return fail(response, what);
      const stored = response.headers.get('docker-content-digest');
      if (stored && stored.startsWith('sha256:') && stored !== digest)
        throw new RegistryError(
          `${what}: the registry stored it as ${stored}, but its bytes hash to ${digest}`,
          response.status,
          'DIGEST_INVALID',
        );
      return stored ?? digest;
    },
  };
  return client;
}

/** Whether a manifest is an index (several platforms) rather than one image. */
export function isIndex(manifest: Manifest): boolean {
  return INDEX_TYPES.includes(manifest.mediaType) || Array.isArray(manifest.json.manifests);
}
