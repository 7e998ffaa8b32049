// The registry client's push API against the in-process OCI registry over real HTTPS: monolithic
// and chunked uploads (from memory and streamed from a file), cross-repository mounts and their
// fallback, manifests by tag and digest, digest checks, multi-scope bearer tokens, refused
// credentials, and how many connections a push takes.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRegistryClient,
  MEDIA_TYPES,
  readAhead,
  RegistryError,
  scopeGrants,
  type RegistryClientOptions,
} from '../../../src/image/registry-client.js';
import { sha256Digest } from '../../../src/image/oci/digest.js';
import { startOciRegistry, type OciRegistry, type OciRegistryOptions } from '../../support/oci-registry.js';

const USER = 'ci';
const PASSWORD = 'pa:ss word-7431';
const MiB = 1024 * 1024;

const started: OciRegistry[] = [];
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'registry-push-'));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function registry(options: OciRegistryOptions = {}): Promise<OciRegistry> {
  const r = await startOciRegistry({ users: { [USER]: PASSWORD }, ...options });
  started.push(r);
  return r;
}

function clientOf(r: OciRegistry, options: Partial<RegistryClientOptions> = {}) {
  return createRegistryClient({
    registry: r.host,
    credentials: { username: USER, password: PASSWORD },
    ...options,
  });
}

/** A client that has met the registry's challenge, and a clean request log. */
async function signedIn(r: OciRegistry, options: Partial<RegistryClientOptions> = {}) {
  const client = clientOf(r, options);
  await client.checkLogin();
  r.clearLog();
  return client;
}

/** The RegistryError `work` fails with. */
async function failure(work: Promise<unknown>): Promise<RegistryError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

function blob(size: number): { bytes: Buffer; digest: string } {
  const bytes = randomBytes(size);
  return { bytes, digest: sha256Digest(bytes) };
}

/** An image manifest over `config` and `layers`, as bytes. */
function imageManifest(
  config: Buffer,
  layers: Buffer[],
  mediaType: string = MEDIA_TYPES.ociManifest,
): Buffer {
  const descriptor = (bytes: Buffer, type: string) => ({
    mediaType: type,
    digest: sha256Digest(bytes),
    size: bytes.length,
  });
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: descriptor(config, 'application/vnd.oci.image.config.v1+json'),
      layers: layers.map((l) => descriptor(l, 'application/vnd.oci.image.layer.v1.tar+gzip')),
    }),
  );
}

describe('blob uploads', () => {
  test('a small blob goes in one PUT and reads back byte for byte', async () => {
    const r = await registry();
    const client = await signedIn(r);
    const { bytes, digest } = blob(3000);
    await client.uploadBlob('app', digest, bytes.length, { kind: 'bytes', bytes });
    expect(r.blob('app', digest)?.equals(bytes)).toBe(true);
    expect(r.count('POST', /blobs\/uploads/)).toBe(1);
    expect(r.count('PATCH')).toBe(0);
    expect(r.count('PUT')).toBe(1);
    expect((await client.getBlob('app', digest)).equals(bytes)).toBe(true);
    await expect(client.hasBlob('app', digest)).resolves.toBe(true);
    await expect(client.hasBlob('app', sha256Digest(Buffer.from('other')))).resolves.toBe(false);
  });

  test('an empty blob', async () => {
    const r = await registry();
    const empty = Buffer.alloc(0);
    await clientOf(r).uploadBlob('app', sha256Digest(empty), 0, { kind: 'bytes', bytes: empty });
    expect(r.blob('app', sha256Digest(empty))).toEqual(empty);
  });

  test('a larger blob goes in PATCH chunks with Content-Range, each to the latest Location', async () => {
    const r = await registry();
    const { bytes, digest } = blob(3.5 * MiB);
    await clientOf(r, { chunkSize: MiB }).uploadBlob('team/app', digest, bytes.length, {
      kind: 'bytes',
      bytes,
    });
    expect(r.blob('team/app', digest)?.equals(bytes)).toBe(true);
    const patches = r.requests.filter((q) => q.method === 'PATCH');
    expect(patches.map((q) => q.headers['content-range'])).toEqual([
      `0-${MiB - 1}`,
      `${MiB}-${2 * MiB - 1}`,
      `${2 * MiB}-${3 * MiB - 1}`,
      `${3 * MiB}-${3.5 * MiB - 1}`,
    ]);
    expect(patches.every((q) => q.status === 202)).toBe(true);
    // The closing PUT keeps the upload state the registry put in the Location and adds the digest.
    const put = r.requests.find((q) => q.method === 'PUT')!;
    expect(put.query).toMatch(/^_state=[\w-]+&digest=sha256%3A[0-9a-f]{64}$/);
  });

  test('a big blob is streamed from its file in chunks of the default size', async () => {
    const r = await registry();
    const path = join(dir, 'model.bin');
    const hash = createHash('sha256');
    const size = 40 * MiB + 123;
    const parts = [randomBytes(20 * MiB), randomBytes(20 * MiB), randomBytes(123)];
    writeFileSync(path, Buffer.concat(parts));
    for (const p of parts) hash.update(p);
    const digest = `sha256:${hash.digest('hex')}`;
    await clientOf(r).uploadBlob('app', digest, size, { kind: 'file', path });
    expect(r.count('PATCH')).toBe(3); // 16 MiB, 16 MiB, 8 MiB + 123
    expect(r.blob('app', digest)?.length).toBe(size);
    expect(sha256Digest(r.blob('app', digest)!)).toBe(digest);
  });

  test('a small file goes in one PUT; absolute Locations work too', async () => {
    const r = await registry({ absoluteLocations: true });
    const path = join(dir, 'config.json');
    const { bytes, digest } = blob(2048);
    writeFileSync(path, bytes);
    const client = clientOf(r, { chunkSize: 1024 });
    await client.uploadBlob('app', digest, bytes.length, { kind: 'file', path });
    expect(r.count('PATCH')).toBe(2);
    const other = blob(1000);
    writeFileSync(path, other.bytes);
    await client.uploadBlob('app', other.digest, 1000, { kind: 'file', path });
    expect(r.count('PATCH')).toBe(2);
    expect(r.blob('app', digest)?.equals(bytes)).toBe(true);
    expect(r.blob('app', other.digest)?.equals(other.bytes)).toBe(true);
  });

  test('a digest that does not match: the registry refuses (400 DIGEST_INVALID), the upload is cancelled', async () => {
    const r = await registry();
    const path = join(dir, 'wrong.bin');
    writeFileSync(path, Buffer.from('not what the digest says'));
    const digest = sha256Digest(Buffer.from('something else entirely'));
    const error = await failure(clientOf(r).uploadBlob('app', digest, 24, { kind: 'file', path }));
    expect(error).toMatchObject({ status: 400, code: 'DIGEST_INVALID' });
    expect(error.message).toContain(`uploading blob ${digest} to ${r.host}/app`);
    expect(error.message).toContain('answered 400 DIGEST_INVALID');
    expect(r.blob('app', digest)).toBeUndefined();
  });

  test('bytes that do not match their digest or size are refused before anything is sent', async () => {
    const r = await registry();
    const client = clientOf(r);
    const bytes = Buffer.from('abc');
    await expect(
      client.uploadBlob('app', sha256Digest(Buffer.from('abd')), 3, { kind: 'bytes', bytes }),
    ).rejects.toThrow(/the bytes given hash to sha256:/);
    await expect(client.uploadBlob('app', sha256Digest(bytes), 4, { kind: 'bytes', bytes })).rejects.toThrow(
      /it has 3 bytes, not 4/,
    );
    expect(r.requests).toHaveLength(0);
  });

  test('416 on a chunk: an error naming the registry, repository, status and range; the upload is cancelled', async () => {
    const r = await registry({
      intercept: (q) =>
        q.method === 'PATCH' && q.headers['content-range']?.startsWith('4-')
          ? { status: 416, body: { errors: [{ code: 'BLOB_UPLOAD_INVALID', message: 'range mismatch' }] } }
          : undefined,
    });
    const { bytes, digest } = blob(10);
    await expect(
      clientOf(r, { chunkSize: 4 }).uploadBlob('app', digest, 10, { kind: 'bytes', bytes }),
    ).rejects.toThrow(
      `uploading blob ${digest} to ${r.host}/app: the registry refused the chunk 4-7: ${r.host} answered 416 BLOB_UPLOAD_INVALID (range mismatch)`,
    );
    expect(r.count('DELETE', /blobs\/uploads/)).toBe(1);
  });
});

/** `bytes` as a producer would yield them, `piece` bytes at a time; `fail` throws after `failAfter` pieces. */
async function* pieces(bytes: Buffer, piece: number, failAfter = Infinity): AsyncGenerator<Buffer> {
  let count = 0;
  for (let at = 0; at < bytes.length; at += piece) {
    if (count++ >= failAfter) throw new Error('the compressor failed');
    await new Promise((resolve) => setImmediate(resolve));
    yield bytes.subarray(at, at + piece);
  }
}

describe('streamed uploads (digest known only at the end)', () => {
  test('one PATCH streams the bytes as they come; the closing PUT carries the digest', async () => {
    const r = await registry();
    const client = await signedIn(r);
    const { bytes, digest } = blob(3 * MiB + 17);
    let asked = 0;
    const sent = await client.uploadBlobStream!('app', pieces(bytes, 256 * 1024), () => (asked++, digest));
    expect(sent).toBe(bytes.length);
    expect(asked).toBe(1);
    expect(r.requests.map((q) => q.method)).toEqual(['POST', 'PATCH', 'PUT']);
    // Streamed: no length or range known up front.
    expect(r.requests[1]!.headers['content-range']).toBeUndefined();
    expect(r.blob('app', digest)?.equals(bytes)).toBe(true);
  });

  test('more than a chunk: several PATCHes to the latest Location, bytes in order', async () => {
    const r = await registry();
    const client = await signedIn(r, { streamChunkSize: 100_000 });
    const { bytes, digest } = blob(250_000);
    await expect(client.uploadBlobStream!('app', pieces(bytes, 30_000), () => digest)).resolves.toBe(250_000);
    expect(r.count('PATCH')).toBe(3);
    expect(r.blob('app', digest)?.equals(bytes)).toBe(true);
  });

  test('an empty stream: no PATCH, the PUT closes an empty blob', async () => {
    const r = await registry();
    const client = await signedIn(r);
    const empty = sha256Digest(Buffer.alloc(0));
    await expect(client.uploadBlobStream!('app', pieces(Buffer.alloc(0), 10), () => empty)).resolves.toBe(0);
    expect(r.requests.map((q) => q.method)).toEqual(['POST', 'PUT']);
    expect(r.blob('app', empty)?.length).toBe(0);
  });

  test('a wrong digest at the end: the registry refuses (DIGEST_INVALID), the session is cancelled', async () => {
    const r = await registry();
    const client = await signedIn(r);
    const { bytes } = blob(200_000);
    const wrong = sha256Digest(Buffer.from('not these bytes'));
    const error = await failure(client.uploadBlobStream!('app', pieces(bytes, 50_000), () => wrong));
    expect(error).toMatchObject({ status: 400, code: 'DIGEST_INVALID' });
    expect(error.message).toContain(`uploading blob ${wrong} to ${r.host}/app`);
    expect(r.count('DELETE', /blobs\/uploads/)).toBe(1);
    expect(r.blob('app', wrong)).toBeUndefined();
  });

  test('the producer fails midway: its error, the session cancelled, nothing stored', async () => {
    const r = await registry();
    const client = await signedIn(r);
    const { bytes, digest } = blob(400_000);
    await expect(client.uploadBlobStream!('app', pieces(bytes, 50_000, 3), () => digest)).rejects.toThrow(
      /the compressor failed/,
    );
    expect(r.count('PUT')).toBe(0);
    expect(r.count('DELETE', /blobs\/uploads/)).toBe(1);
    expect(r.blob('app', digest)).toBeUndefined();
  });

  test('beforeClose: bytes wait in the session; a rejection cancels it and nothing lands', async () => {
    const r = await registry();
    const client = await signedIn(r);
    const { bytes, digest } = blob(100_000);
    let allow!: () => void;
    const allowed = new Promise<void>((resolve) => (allow = resolve));
    const upload = client.uploadBlobStream!('app', pieces(bytes, 25_000), () => digest, allowed);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.requests.map((q) => q.method)).toEqual(['POST', 'PATCH']);
    allow();
    await upload;
    expect(r.blob('app', digest)?.equals(bytes)).toBe(true);

    r.clearLog();
    const other = blob(1000);
    const refused = Promise.reject(new Error('may not push'));
    refused.catch(() => undefined);
    await expect(
      client.uploadBlobStream!('app', pieces(other.bytes, 500), () => other.digest, refused),
    ).rejects.toThrow('may not push');
    expect(r.requests.map((q) => q.method)).toEqual(['POST', 'PATCH', 'DELETE']);
    expect(r.blob('app', other.digest)).toBeUndefined();
  });
});

describe('readAhead', () => {
  test('reads ahead of a slow consumer up to its limit, in order', async () => {
    let produced = 0;
    async function* source() {
      for (let i = 0; i < 10; i++) {
        produced++;
        yield Buffer.alloc(10, i);
      }
    }
    const ahead = readAhead(source(), 30);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Nothing consumed yet: the producer stopped at the limit (30 bytes, three pieces).
    expect(produced).toBe(3);
    const seen: number[] = [];
    for await (const chunk of ahead) seen.push(chunk[0]!);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('a consumer that stops early, or cancel(), stops the source; a source error reaches the consumer', async () => {
    let closed = 0;
    async function* endless() {
      try {
        for (let i = 0; ; i++) yield Buffer.alloc(4, i);
      } finally {
        closed++;
      }
    }
    for await (const chunk of readAhead(endless(), 8)) if (chunk[0] === 2) break;
    expect(closed).toBe(1);
    await readAhead(endless(), 8).cancel();
    expect(closed).toBe(2);
    const failing = readAhead(pieces(Buffer.alloc(40), 10, 2), 100);
    const read: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of failing) read.push(chunk);
      })(),
    ).rejects.toThrow('the compressor failed');
    expect(read).toHaveLength(2);
  });
});

describe('cross-repository mounts', () => {
  test('201: mounted without sending the blob; the token asks for both repositories', async () => {
    const r = await registry({ auth: 'bearer' });
    const { bytes, digest } = blob(5000);
    r.addBlob('base/env', bytes);
    await expect(clientOf(r).mountBlob('release/app', digest, 'base/env')).resolves.toBe(true);
    expect(r.blob('release/app', digest)?.equals(bytes)).toBe(true);
    expect(r.tokenRequests.at(-1)).toEqual(['repository:release/app:pull,push', 'repository:base/env:pull']);
    expect(r.count('POST', /blobs\/uploads/)).toBe(2); // the challenge, then the mount
    expect(r.requests.at(-1)?.query).toBe(
      `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent('base/env')}`,
    );
  });

  test('202: the registry started an upload instead, which is cancelled; the blob can then be uploaded', async () => {
    const r = await registry({ refuseMounts: true });
    const { bytes, digest } = blob(5000);
    r.addBlob('base', bytes);
    const client = clientOf(r);
    await expect(client.mountBlob('app', digest, 'base')).resolves.toBe(false);
    expect(r.count('DELETE', /blobs\/uploads\//)).toBe(1);
    expect(r.requests.find((q) => q.method === 'DELETE')?.status).toBe(204);
    await client.uploadBlob('app', digest, bytes.length, { kind: 'bytes', bytes });
    expect(r.blob('app', digest)?.equals(bytes)).toBe(true);
  });

  test('credentials that may not read the source repository: no mount (202), no error', async () => {
    const r = await registry({ auth: 'bearer', allow: (_user, repository) => repository !== 'secret' });
    const { bytes, digest } = blob(100);
    r.addBlob('secret', bytes);
    await expect(clientOf(r).mountBlob('app', digest, 'secret')).resolves.toBe(false);
    expect(r.blob('app', digest)).toBeUndefined();
  });
});

describe('manifests', () => {
  test('PUT by tag and by digest; read back byte for byte with the media type', async () => {
    const r = await registry();
    const client = clientOf(r);
    const config = Buffer.from('{"architecture":"arm64","os":"linux"}');
    const layer = randomBytes(100);
    for (const b of [config, layer])
      await client.uploadBlob('app', sha256Digest(b), b.length, { kind: 'bytes', bytes: b });
    // Key order and spacing a re-serialisation would change: the bytes must come back untouched.
    const manifest = Buffer.from(
      JSON.stringify(
        JSON.parse(imageManifest(config, [layer], MEDIA_TYPES.dockerManifest).toString()),
        null,
        3,
      ),
    );
    const digest = sha256Digest(manifest);
    await expect(client.putManifest('app', 'v1', MEDIA_TYPES.dockerManifest, manifest)).resolves.toBe(digest);
    for (const reference of ['v1', digest]) {
      const read = await client.getManifestBytes('app', reference);
      expect(read).toEqual({ mediaType: MEDIA_TYPES.dockerManifest, digest, bytes: manifest });
    }

    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: [
          {
            mediaType: MEDIA_TYPES.dockerManifest,
            digest,
            size: manifest.length,
            platform: { os: 'linux', architecture: 'arm64' },
          },
        ],
      }),
    );
    await expect(client.putManifest('app', sha256Digest(index), MEDIA_TYPES.ociIndex, index)).resolves.toBe(
      sha256Digest(index),
    );
    expect(r.manifest('app', sha256Digest(index))).toEqual({ mediaType: MEDIA_TYPES.ociIndex, bytes: index });
    expect((await client.getManifestBytes('app', sha256Digest(index)))?.bytes.equals(index)).toBe(true);
    const put = r.requests.filter((q) => q.method === 'PUT' && q.path.includes('/manifests/'));
    expect(put.map((q) => q.headers['content-type'])).toEqual([
      MEDIA_TYPES.dockerManifest,
      MEDIA_TYPES.ociIndex,
    ]);
    expect(
      r.requests.find((q) => q.method === 'GET' && q.path.includes('/manifests/'))?.headers.accept,
    ).toContain(MEDIA_TYPES.dockerList);
  });

  test('unknown manifests read as undefined', async () => {
    const r = await registry();
    await expect(clientOf(r).getManifestBytes('app', 'nope')).resolves.toBeUndefined();
    await expect(
      clientOf(r).getManifestBytes('never/pushed', sha256Digest(Buffer.from('x'))),
    ).resolves.toBeUndefined();
  });

  test('a digest reference that does not match the bytes is refused before the PUT', async () => {
    const r = await registry();
    const manifest = imageManifest(Buffer.from('{}'), []);
    await expect(
      clientOf(r).putManifest('app', sha256Digest(Buffer.from('other')), MEDIA_TYPES.ociManifest, manifest),
    ).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
    expect(r.requests).toHaveLength(0);
  });

  test('a manifest whose blobs are missing: the registry error, with registry, repository and status', async () => {
    const r = await registry();
    const manifest = imageManifest(Buffer.from('{}'), []);
    await expect(clientOf(r).putManifest('app', 'v1', MEDIA_TYPES.ociManifest, manifest)).rejects.toThrow(
      `pushing ${r.host}/app:v1: ${r.host} answered 400 MANIFEST_BLOB_UNKNOWN`,
    );
  });

  test('bytes served for a digest that do not hash to it are refused', async () => {
    const served = Buffer.from('{"schemaVersion":2}');
    const claimed = sha256Digest(Buffer.from('{"schemaVersion":3}'));
    const r = await registry({
      intercept: (q) =>
        q.path.endsWith(claimed) ? { status: 200, body: JSON.parse(served.toString()) } : undefined,
    });
    await expect(clientOf(r).getManifestBytes('app', claimed)).rejects.toMatchObject({
      code: 'DIGEST_INVALID',
    });
  });
});

describe('authentication', () => {
  test('bearer: one token per scope set, fetched before the request once the challenge is known', async () => {
    const r = await registry({ auth: 'bearer' });
    const client = clientOf(r);
    await client.checkLogin();
    for (let i = 0; i < 3; i++) {
      const { bytes, digest } = blob(100 + i);
      await client.uploadBlob('app', digest, bytes.length, { kind: 'bytes', bytes });
    }
    // A push token serves the pulls of its repository.
    await client.hasBlob('app', sha256Digest(Buffer.from('x')));
    await client.hasBlob('other', sha256Digest(Buffer.from('x')));
    expect(r.tokenRequests).toEqual([[], ['repository:app:pull,push'], ['repository:other:pull']]);
    // Only the first request met a challenge.
    expect(r.requests.filter((q) => q.status === 401)).toHaveLength(1);
    expect(scopeGrants(['repository:a:push,pull', 'repository:b:pull'])).toEqual([
      'repository:a:pull',
      'repository:a:push',
      'repository:b:pull',
    ]);
  });

  test('bearer: a wrong password is a clear error without the password', async () => {
    const r = await registry({ auth: 'bearer' });
    const client = createRegistryClient({
      registry: r.host,
      credentials: { username: USER, password: 'wrong-secret-9876' },
    });
    const a = Buffer.from('a');
    const error = await failure(client.uploadBlob('app', sha256Digest(a), 1, { kind: 'bytes', bytes: a }));
    expect(error.message).toBe(
      `${r.host} refused the credentials of user 'ci' (token service answered 401: invalid username or password)`,
    );
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toMatch(
      /wrong-secret|d3Jvbmc/,
    );
  });

  test('basic: a wrong password is a clear error without the password', async () => {
    const r = await registry();
    const client = createRegistryClient({
      registry: r.host,
      credentials: { username: USER, password: 'wrong-secret-9876' },
    });
    const error = await failure(client.putManifest('app', 'v1', MEDIA_TYPES.ociManifest, Buffer.from('{}')));
    expect(error.message).toBe(`${r.host} refused the credentials of user 'ci' (401)`);
    expect(`${error.message}${error.stack}`).not.toContain('wrong-secret');
  });

  test('bearer: credentials without push: refused with the scope named', async () => {
    const r = await registry({ auth: 'bearer', allow: (_user, _repository, action) => action === 'pull' });
    await expect(
      clientOf(r).uploadBlob('app', sha256Digest(Buffer.from('a')), 1, {
        kind: 'bytes',
        bytes: Buffer.from('a'),
      }),
    ).rejects.toThrow(`${r.host} refused user 'ci' for repository:app:pull,push (401)`);
  });

  test('plain HTTP and no authentication', async () => {
    const r = await registry({ tls: false, auth: 'none' });
    const client = createRegistryClient({ registry: r.host, insecureHttp: true });
    const { bytes, digest } = blob(10);
    await client.uploadBlob('app', digest, 10, { kind: 'bytes', bytes });
    expect(r.blob('app', digest)?.equals(bytes)).toBe(true);
  });
});

describe('connections', () => {
  test.each([
    ['basic', { auth: 'basic' as const }],
    ['bearer', { auth: 'bearer' as const }],
  ])('a push of about 30 requests (%s) rides on one kept-alive TLS connection', async (_name, options) => {
    const r = await registry(options);
    const client = clientOf(r, { chunkSize: 64 * 1024 });
    const base = blob(1000);
    r.addBlob('base', base.bytes);
    await client.checkLogin();
    await client.mountBlob('app', base.digest, 'base');
    const layer = blob(300 * 1024); // 5 chunks
    await client.uploadBlob('app', layer.digest, layer.bytes.length, { kind: 'bytes', bytes: layer.bytes });
    for (let i = 0; i < 3; i++) {
      const config = Buffer.from(JSON.stringify({ architecture: `arch${i}`, os: 'linux' }));
      await client.hasBlob('app', sha256Digest(config));
      await client.uploadBlob('app', sha256Digest(config), config.length, { kind: 'bytes', bytes: config });
      const manifest = imageManifest(config, [base.bytes, layer.bytes]);
      await client.putManifest('app', sha256Digest(manifest), MEDIA_TYPES.ociManifest, manifest);
    }
    for (let i = 0; i < 5; i++) await client.hasBlob('app', layer.digest);
    const requests = r.requests.length;
    expect(requests).toBeGreaterThanOrEqual(27);
    const used = new Set(r.requests.map((q) => q.connection)).size;
    expect(used).toBeLessThanOrEqual(2);
    expect(r.connections.fullHandshakes).toBe(1);
  });
});
