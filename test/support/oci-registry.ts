// An in-process OCI distribution registry for unit tests of the push protocol (registry client,
// registry image store): fast, with every request logged and counted, and with knobs for the cases a
// real registry rarely shows on demand (declined mounts, absolute Locations, scopes withheld).
// It is a stand-in, not a registry: the end-to-end tier pushes to the real `docker-registry`.
//
// What it checks, as distribution does: basic auth, or bearer tokens from its own /token realm with
// the scopes each request needs (push needs pull,push; a mount also pull on `from`); upload state
// carried in the Location's query (an old Location is refused); PATCH Content-Range against the
// bytes received (416); the digest on the closing PUT (400 DIGEST_INVALID); manifests' blobs and
// children present, and a digest reference matching the bytes.
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { issueServerCertificate } from '../../src/sandbox/tls.js';
import { testCertificateAuthority } from './sandbox.js';

export interface OciRegistryOptions {
  /** HTTPS with a certificate from the test CA (default), or plain HTTP. */
  tls?: boolean;
  /** Default 'basic'. */
  auth?: 'none' | 'basic' | 'bearer';
  /** Username → password. Default { ci: 'registry-secret' }. */
  users?: Record<string, string>;
  /** Bearer: whether `user` may have `action` on `repository`. Default: every signed-in user, anything. */
  allow?: (user: string, repository: string, action: string) => boolean;
  /** Answer cross-repository mounts by starting an upload (202), as registries without mounts do. */
  refuseMounts?: boolean;
  /** Absolute Location URLs instead of paths. */
  absoluteLocations?: boolean;
  /** Answers a request before the registry does (for failures on demand); undefined lets it through. */
  intercept?: (request: LoggedRequest) => { status: number; body?: unknown } | undefined;
}

export interface LoggedRequest {
  method: string;
  path: string;
  /** The query string without `?`. */
  query: string;
  status: number;
  /** Which TCP connection carried it (1, 2, ...). */
  connection: number;
  headers: IncomingMessage['headers'];
}

export interface OciRegistry {
  /** 127.0.0.1:port, what a client is given as the registry. */
  readonly host: string;
  readonly requests: LoggedRequest[];
  /** TCP connections accepted, and TLS handshakes that did not resume a session. */
  readonly connections: { tcp: number; fullHandshakes: number };
  /** The scopes of each token request, in order. */
  readonly tokenRequests: string[][];
  /** Requests matching a method and a path pattern (the token endpoint included). */
  count(method: string, path?: RegExp): number;
  /** A blob's bytes when `repository` links it. */
  blob(repository: string, digest: string): Buffer | undefined;
  /** Stores a blob in `repository`; returns its digest. */
  addBlob(repository: string, bytes: Buffer): string;
  manifest(repository: string, reference: string): { mediaType: string; bytes: Buffer } | undefined;
  /** Stores a manifest as a client PUT would, without the checks. Returns its digest. */
  addManifest(repository: string, mediaType: string, bytes: Buffer, tag?: string): string;
  /** Forgets the request log and counters (not the content). */
  clearLog(): void;
  close(): Promise<void>;
}

interface Repository {
  blobs: Set<string>;
  manifests: Map<string, { mediaType: string; bytes: Buffer }>;
  tags: Map<string, string>;
}

interface Upload {
  repository: string;
  parts: Buffer[];
  size: number;
  /** The query value the next request must carry, as distribution's `_state`. */
  state: string;
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function startOciRegistry(options: OciRegistryOptions = {}): Promise<OciRegistry> {
  const users = options.users ?? { ci: 'registry-secret' };
  const auth = options.auth ?? 'basic';
  const blobs = new Map<string, Buffer>();
  const repositories = new Map<string, Repository>();
  const uploads = new Map<string, Upload>();
  const tokens = new Map<string, Set<string>>();
  const requests: LoggedRequest[] = [];
  const tokenRequests: string[][] = [];
  const connections = { tcp: 0, fullHandshakes: 0 };
  const connectionIds = new WeakMap<Socket, number>();
  let origin = '';

  const repo = (name: string): Repository => {
    let found = repositories.get(name);
    if (!found) {
      found = { blobs: new Set(), manifests: new Map(), tags: new Map() };
      repositories.set(name, found);
    }
    return found;
  };
  const location = (path: string): string => (options.absoluteLocations ? `${origin}${path}` : path);

  /** The signed-in user from a Basic header, undefined when absent, null when wrong. */
  function basicUser(header: string | undefined): string | undefined | null {
    if (!header?.startsWith('Basic ')) return undefined;
    const text = Buffer.from(header.slice(6), 'base64').toString();
    const colon = text.indexOf(':');
    const user = text.slice(0, colon);
    return colon > 0 && users[user] === text.slice(colon + 1) ? user : null;
  }

  function issueToken(req: IncomingMessage, url: URL): { status: number; body: unknown } {
    const scopes = url.searchParams.getAll('scope');
    tokenRequests.push(scopes);
    const user = basicUser(req.headers.authorization);
    if (user === null)
      return {
        status: 401,
        body: { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] },
      };
    const granted = new Set<string>();
    for (const scope of scopes) {
      const match = /^repository:(.+):([^:]+)$/.exec(scope);
      if (!match) continue;
      for (const action of match[2]!.split(','))
        if (user !== undefined && (options.allow?.(user, match[1]!, action) ?? true))
          granted.add(`${match[1]}:${action}`);
    }
    const token = randomBytes(16).toString('hex');
    tokens.set(token, granted);
    return { status: 200, body: { token, access_token: token, expires_in: 300 } };
  }

  /** Checks the request's credentials for `needed` grants (`repo:action`); throws a 401 otherwise. */
  function authorize(req: IncomingMessage, needed: string[]): (grant: string) => boolean {
    if (auth === 'none') return () => true;
    const header = req.headers.authorization;
    if (auth === 'basic') {
      if (typeof basicUser(header) === 'string') return () => true;
      throw new Refusal(401, 'UNAUTHORIZED', 'authentication required', {
        'www-authenticate': 'Basic realm="oci-test"',
      });
    }
    const grants = header?.startsWith('Bearer ') ? tokens.get(header.slice(7)) : undefined;
    if (grants && needed.every((grant) => grants.has(grant))) return (grant) => grants.has(grant);
    const scope = [...new Set(needed.map((g) => g.slice(0, g.lastIndexOf(':'))))]
      .map(
        (name) =>
          `repository:${name}:${needed
            .filter((g) => g.startsWith(`${name}:`))
            .map((g) => g.slice(name.length + 1))
            .join(',')}`,
      )
      .join(' ');
    const challenge = `Bearer realm="${origin}/token",service="oci-test"${scope ? `,scope="${scope}"` : ''}${grants ? ',error="insufficient_scope"' : ''}`;
    throw new Refusal(401, 'UNAUTHORIZED', 'authentication required', { 'www-authenticate': challenge });
  }

  function checkManifest(repository: Repository, mediaType: string, bytes: Buffer): void {
    let json: {
      mediaType?: string;
      config?: { digest: string };
      layers?: { digest: string; urls?: string[] }[];
      manifests?: { digest: string }[];
    };
    try {
      json = JSON.parse(bytes.toString('utf8')) as typeof json;
    } catch {
      throw new Refusal(400, 'MANIFEST_INVALID', 'not JSON');
    }
    if (json.mediaType !== undefined && json.mediaType !== mediaType)
      throw new Refusal(400, 'MANIFEST_INVALID', `mediaType ${json.mediaType} sent as ${mediaType}`);
    // Layers with URLs (foreign, non-distributable) are fetched from there, so need not be here.
    for (const blob of [json.config, ...(json.layers ?? []).filter((l) => !l.urls)])
      if (blob && !repository.blobs.has(blob.digest))
        throw new Refusal(400, 'MANIFEST_BLOB_UNKNOWN', `blob unknown to registry: ${blob.digest}`);
    for (const child of json.manifests ?? [])
      if (!repository.manifests.has(child.digest))
        throw new Refusal(400, 'MANIFEST_UNKNOWN', `manifest unknown: ${child.digest}`);
  }

  function storeManifest(name: string, mediaType: string, bytes: Buffer, tag?: string): string {
    const digest = sha256(bytes);
    const repository = repo(name);
    repository.manifests.set(digest, { mediaType, bytes });
    if (tag) repository.tags.set(tag, digest);
    return digest;
  }

  function findManifest(name: string, reference: string) {
    const repository = repositories.get(name);
    const digest = reference.includes(':') ? reference : repository?.tags.get(reference);
    const found = digest ? repository?.manifests.get(digest) : undefined;
    return found && digest ? { ...found, digest } : undefined;
  }

  interface Answer {
    status: number;
    headers?: Record<string, string | number>;
    body?: Buffer | unknown;
  }

  function upload(req: IncomingMessage, url: URL, name: string, id: string, body: Buffer): Answer {
    const current = uploads.get(id);
    if (!current || current.repository !== name)
      throw new Refusal(404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
    if (url.searchParams.get('_state') !== current.state)
      throw new Refusal(400, 'BLOB_UPLOAD_INVALID', 'stale upload state: use the latest Location');
    if (req.method === 'DELETE') {
      uploads.delete(id);
      return { status: 204 };
    }
    const range = req.headers['content-range'];
    if (range !== undefined) {
      const match = /^(\d+)-(\d+)$/.exec(range);
      if (
        !match ||
        Number(match[1]) !== current.size ||
        Number(match[2]) - Number(match[1]) + 1 !== body.length
      )
        return {
          status: 416,
          headers: { range: `0-${Math.max(current.size - 1, 0)}` },
          body: {
            errors: [
              {
                code: 'BLOB_UPLOAD_INVALID',
                message: `range ${range} does not follow ${current.size} bytes`,
              },
            ],
          },
        };
    }
    current.parts.push(body);
    current.size += body.length;
    if (req.method === 'PATCH') {
      current.state = randomBytes(6).toString('base64url');
      return {
        status: 202,
        headers: {
          location: location(`/v2/${name}/blobs/uploads/${id}?_state=${current.state}`),
          range: `0-${Math.max(current.size - 1, 0)}`,
          'docker-upload-uuid': id,
        },
      };
    }
    // PUT: the closing request, with the digest.
    const digest = url.searchParams.get('digest') ?? '';
    const bytes = Buffer.concat(current.parts);
    uploads.delete(id);
    if (sha256(bytes) !== digest)
      throw new Refusal(400, 'DIGEST_INVALID', `provided digest did not match uploaded content`);
    blobs.set(digest, bytes);
    repo(name).blobs.add(digest);
    return {
      status: 201,
      headers: { location: location(`/v2/${name}/blobs/${digest}`), 'docker-content-digest': digest },
    };
  }

  function startUpload(name: string): Answer {
    const id = randomBytes(8).toString('hex');
    const state = randomBytes(6).toString('base64url');
    uploads.set(id, { repository: name, parts: [], size: 0, state });
    return {
      status: 202,
      headers: {
        location: location(`/v2/${name}/blobs/uploads/${id}?_state=${state}`),
        range: '0-0',
        'docker-upload-uuid': id,
      },
    };
  }

  function route(req: IncomingMessage, url: URL, body: Buffer): Answer {
    const method = req.method ?? 'GET';
    if (url.pathname === '/token' && auth === 'bearer') return issueToken(req, url);
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      authorize(req, []);
      return { status: 200, body: {} };
    }
    const match = /^\/v2\/(.+?)\/(blobs\/uploads|blobs|manifests)\/?(.*)$/.exec(url.pathname);
    if (!match) throw new Refusal(404, 'NOT_FOUND', 'no such endpoint');
    const [, name, kind, rest] = match as unknown as [string, string, string, string];
    const reading = method === 'GET' || method === 'HEAD';
    const allowed = authorize(req, reading ? [`${name}:pull`] : [`${name}:pull`, `${name}:push`]);

    if (kind === 'blobs') {
      if (!repositories.get(name)?.blobs.has(rest))
        throw new Refusal(404, 'BLOB_UNKNOWN', 'blob unknown to registry');
      const bytes = blobs.get(rest)!;
      return {
        status: 200,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': bytes.length,
          'docker-content-digest': rest,
        },
        body: bytes,
      };
    }
    if (kind === 'blobs/uploads') {
      if (rest) return upload(req, url, name, rest, body);
      if (method !== 'POST') throw new Refusal(405, 'UNSUPPORTED', 'method not allowed');
      const mount = url.searchParams.get('mount');
      const from = url.searchParams.get('from');
      // As distribution: a mount it cannot make (no pull on `from`, blob unknown) becomes an upload.
      if (mount && from && !options.refuseMounts && allowed(`${from}:pull`)) {
        if (repositories.get(from)?.blobs.has(mount)) {
          repo(name).blobs.add(mount);
          return {
            status: 201,
            headers: { location: location(`/v2/${name}/blobs/${mount}`), 'docker-content-digest': mount },
          };
        }
      }
      return startUpload(name);
    }
    // Manifests.
    if (reading) {
      const found = findManifest(name, rest);
      if (!found) throw new Refusal(404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      return {
        status: 200,
        headers: {
          'content-type': found.mediaType,
          'content-length': found.bytes.length,
          'docker-content-digest': found.digest,
        },
        body: found.bytes,
      };
    }
    if (method !== 'PUT') throw new Refusal(405, 'UNSUPPORTED', 'method not allowed');
    const mediaType = req.headers['content-type'] ?? '';
    const digest = sha256(body);
    if (rest.includes(':') && rest !== digest)
      throw new Refusal(400, 'DIGEST_INVALID', 'manifest digest did not match');
    checkManifest(repo(name), mediaType, body);
    storeManifest(name, mediaType, body, rest.includes(':') ? undefined : rest);
    return {
      status: 201,
      headers: { location: location(`/v2/${name}/manifests/${digest}`), 'docker-content-digest': digest },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', origin);
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.slice(1),
      status: 0,
      connection: connectionIds.get(req.socket) ?? 0,
      headers: req.headers,
    };
    requests.push(entry);
    let answer: Answer;
    try {
      answer = options.intercept?.(entry) ?? route(req, url, body);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      answer = {
        status: error.status,
        headers: error.headers,
        body: { errors: [{ code: error.code, message: error.message }] },
      };
    }
    entry.status = answer.status;
    const payload =
      answer.body === undefined
        ? undefined
        : Buffer.isBuffer(answer.body)
          ? answer.body
          : Buffer.from(JSON.stringify(answer.body));
    const headers: Record<string, string | number> = {
      'docker-distribution-api-version': 'registry/2.0',
      ...(payload && !Buffer.isBuffer(answer.body) ? { 'content-type': 'application/json' } : {}),
      ...(payload ? { 'content-length': payload.length } : { 'content-length': 0 }),
      ...answer.headers,
    };
    res.writeHead(answer.status, headers);
    res.end(req.method === 'HEAD' ? undefined : payload);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  };
  const tls = options.tls ?? true;
  const server = tls
    ? createHttpsServer(await issueServerCertificate(testCertificateAuthority(), ['127.0.0.1']), listener)
    : createHttpServer(listener);
  // Requests are numbered by the socket the handler sees: the TLS socket over HTTPS, else the TCP one.
  let lastId = 0;
  server.on('connection', (socket: Socket) => {
    connections.tcp++;
    if (!tls) connectionIds.set(socket, ++lastId);
  });
  if (tls)
    server.on('secureConnection', (socket: TLSSocket) => {
      connectionIds.set(socket, ++lastId);
      if (!socket.isSessionReused()) connections.fullHandshakes++;
    });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  origin = `${tls ? 'https' : 'http'}://${host}`;

  return {
    host,
    requests,
    connections,
    tokenRequests,
    count: (method, path) =>
      requests.filter((r) => r.method === method && (path === undefined || path.test(r.path))).length,
    blob: (repository, digest) =>
      repositories.get(repository)?.blobs.has(digest) ? blobs.get(digest) : undefined,
    addBlob(repository, bytes) {
      const digest = sha256(bytes);
      blobs.set(digest, bytes);
      repo(repository).blobs.add(digest);
      return digest;
    },
    manifest(repository, reference) {
      const found = findManifest(repository, reference);
      return found && { mediaType: found.mediaType, bytes: found.bytes };
    },
    addManifest: storeManifest,
    clearLog() {
      requests.length = 0;
      tokenRequests.length = 0;
      connections.tcp = 0;
      connections.fullHandshakes = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
